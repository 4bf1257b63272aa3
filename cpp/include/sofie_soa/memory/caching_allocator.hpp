// sofie_soa/memory/caching_allocator.hpp — a caching allocator modelled on CMS's
// (HeterogeneousCore/AlpakaInterface CachingAllocator; rules in the project's soa_layout.md, last section):
//   * requests are rounded up to bins of bin_growth^k bytes, k in [min_bin, max_bin]; larger requests bypass the
//     cache (allocated and freed exactly);
//   * a freed block is cached with an event recorded on its queue, and reused by the same queue (operator==) at once or by any
//     queue once that event has completed;
//   * at most max_cached_bytes, and at most max_cached_fraction of the device's memory, stay cached; beyond that a
//     freed block goes back to the upstream allocator;
//   * when the upstream allocator fails, every reusable cached block is released and the allocation retried once.
// Alpaka-free: TEvents says how to record and poll events on TQueue (see alpaka_memory.hpp, and the host-only
// policy of the Python bindings).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "sofie_soa/memory/allocator.hpp"

namespace sofie_soa::memory {

/// CMS defaults: growth 2, bins 2^8 = 256 B to 2^30 = 1 GiB, no byte limit, 80% of the device's memory.
struct CachingConfig {
  unsigned bin_growth = 2;
  unsigned min_bin = 8;
  unsigned max_bin = 30;
  std::size_t max_cached_bytes = std::numeric_limits<std::size_t>::max();
  double max_cached_fraction = 0.8;

  /// Throws std::invalid_argument naming the bad field.
  void validate() const {
    if (bin_growth < 2) throw std::invalid_argument("caching allocator: bin_growth must be at least 2");
    if (min_bin > max_bin) throw std::invalid_argument("caching allocator: min_bin must not exceed max_bin");
    if (!(max_cached_fraction >= 0.0 && max_cached_fraction <= 1.0))
      throw std::invalid_argument("caching allocator: max_cached_fraction must be in [0, 1]");
  }
};

/// TEvents must provide: `using Event`, `static Event record(TQueue&)` (an event that completes when the work
/// enqueued so far has), `static bool done(Event const&)` and `static void wait(Event const&)` (blocks until
/// it has completed).
template <class TQueue, class TEvents> class CachingAllocator final : public Allocator<TQueue> {
 public:
  /// `upstream` is where memory really comes from (not owned; must outlive this allocator). `device_bytes` is the
  /// device's memory size, for max_cached_fraction. Throws std::invalid_argument for a bad config.
  CachingAllocator(Allocator<TQueue>& upstream, std::size_t device_bytes, CachingConfig config = {})
      : upstream_(upstream), config_(config) {
    config_.validate();
    const double by_fraction = config_.max_cached_fraction * static_cast<double>(device_bytes);
    cache_limit_ = std::min<std::size_t>(config_.max_cached_bytes, static_cast<std::size_t>(by_fraction));
  }

  /// Returns every cached block to the upstream allocator, first waiting for the work still pending on it.
  ~CachingAllocator() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, block] : cached_) {
      TEvents::wait(block.event);
      upstream_.free(block.ptr, size, block.queue);
    }
    cached_.clear();
  }

  void* allocate(std::size_t bytes, TQueue& queue) override {
    const auto [bin, size] = bin_of(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (bin) {
      for (auto it = cached_.lower_bound(size), end = cached_.upper_bound(size); it != end; ++it) {
        Block& b = it->second;
        if (b.queue == queue || TEvents::done(b.event)) {
          void* ptr = b.ptr;
          cached_.erase(it);
          stats_.cached_bytes -= size;
          stats_.hits++;
          return hand_out(ptr, size, bytes);
        }
      }
    }
    void* ptr = nullptr;
    try {
      ptr = upstream_.allocate(size, queue);
    } catch (std::bad_alloc const&) {
      release_cached_locked();
      ptr = upstream_.allocate(size, queue);  // a second failure propagates std::bad_alloc
    }
    stats_.misses++;
    stats_.system_allocations++;
    return hand_out(ptr, size, bytes);
  }

  void free(void* ptr, std::size_t bytes, TQueue& queue) override {
    if (ptr == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto live = live_.find(ptr);
    if (live == live_.end()) throw std::invalid_argument("caching allocator: free of a pointer it did not allocate");
    const std::size_t size = live->second;
    live_.erase(live);
    stats_.live_bytes -= size;
    stats_.requested_bytes -= bytes;
    if (bin_of(size).first && stats_.cached_bytes + size <= cache_limit_) {
      cached_.emplace(size, Block{ptr, queue, TEvents::record(queue)});
      stats_.cached_bytes += size;
    } else {
      upstream_.free(ptr, size, queue);
      stats_.system_frees++;
    }
  }

  AllocatorStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  /// Returns every cached block whose queue's work has completed to the upstream allocator.
  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

  /// Bin-rounded size of a request (bytes): {true, growth^k} for a cached bin, {false, bytes} beyond max_bin.
  std::pair<bool, std::size_t> bin_of(std::size_t bytes) const {
    std::size_t size = 1;
    for (unsigned k = 0; k < config_.min_bin; ++k) size *= config_.bin_growth;
    for (unsigned k = config_.min_bin; k <= config_.max_bin; ++k, size *= config_.bin_growth)
      if (size >= bytes) return {true, size};
    return {false, bytes};
  }

 private:
  struct Block {
    void* ptr;
    TQueue queue;  ///< a copy: alpaka queues are shared handles, so the queue outlives its caller's copy
    typename TEvents::Event event;
  };

  void* hand_out(void* ptr, std::size_t size, std::size_t bytes) {
    live_.emplace(ptr, size);
    stats_.live_bytes += size;
    stats_.requested_bytes += bytes;
    return ptr;
  }

  void release_cached_locked() {
    for (auto it = cached_.begin(); it != cached_.end();) {
      if (!TEvents::done(it->second.event)) { ++it; continue; }
      upstream_.free(it->second.ptr, it->first, it->second.queue);
      stats_.cached_bytes -= it->first;
      stats_.system_frees++;
      it = cached_.erase(it);
    }
  }

  Allocator<TQueue>& upstream_;
  CachingConfig config_;
  std::size_t cache_limit_;
  mutable std::mutex mutex_;
  std::multimap<std::size_t, Block> cached_;
  std::unordered_map<void*, std::size_t> live_;
  AllocatorStats stats_;
};

}  // namespace sofie_soa::memory
