// sofie_soa/memory/allocator.hpp — the allocator interface every buffer the runtime creates goes through
// (workspaces, weights on devices, SoA buffers), so that the host framework can own all memory, as CMS software
// does with its caching allocator. Free of alpaka: TQueue is whatever identifies the ordering (an alpaka queue).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace sofie_soa::memory {

/// What an allocator reports. Bytes, not elements.
///   requested_bytes: sum of the sizes callers asked for that are still live;
///   live_bytes:      bytes of the blocks handed out and not yet freed (bin-rounded for the caching allocator);
///   cached_bytes:    bytes of freed blocks kept for reuse;
///   hits / misses:   allocations served from the cache / from the upstream (system) allocator;
///   system_allocations / system_frees: calls made to the upstream allocator.
struct AllocatorStats {
  std::uint64_t requested_bytes = 0;
  std::uint64_t live_bytes = 0;
  std::uint64_t cached_bytes = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t system_allocations = 0;
  std::uint64_t system_frees = 0;
};

/// A queue-ordered allocator of one device's memory. allocate(bytes, queue) returns memory usable by work enqueued
/// on `queue` from now on (throws std::bad_alloc when there is none); free(ptr, bytes, queue) returns it once the
/// work enqueued on `queue` so far has completed — the caller need not wait. Implementations are thread-safe.
template <class TQueue> class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(std::size_t bytes, TQueue& queue) = 0;
  virtual void free(void* ptr, std::size_t bytes, TQueue& queue) = 0;
  virtual AllocatorStats stats() const = 0;
};

/// Thread-safe statistics of an allocator that serves every request from the system (no cache).
class SystemCounts {
 public:
  void allocated(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.requested_bytes += bytes;
    stats_.live_bytes += bytes;
    stats_.misses++;
    stats_.system_allocations++;
  }
  void freed(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.requested_bytes -= bytes;
    stats_.live_bytes -= bytes;
    stats_.system_frees++;
  }
  AllocatorStats get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  mutable std::mutex mutex_;
  AllocatorStats stats_;
};

}  // namespace sofie_soa::memory
