// sofie_soa/memory/alpaka_memory.hpp — the allocators of alpaka devices:
//   DeviceAllocator<TQueue>: the system allocator of the queue's device (alpaka::allocBuf), counted;
//   AlpakaEvents<TQueue>:   the event policy of CachingAllocator over alpaka queues;
//   DeviceCachingAllocator<TQueue>: CachingAllocator over alpaka events;
//   default_allocator(queue): one caching allocator per device and queue type for the whole program, as CMS has.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/memory/caching_allocator.hpp"

namespace sofie_soa::memory {

/// Memory straight from the device's system allocator (alpaka::allocBuf on the queue's device); each block is
/// released at free (after waiting for its queue, as freeing device memory in use is undefined).
template <class TQueue> class DeviceAllocator final : public Allocator<TQueue> {
 public:
  using Device = alpaka::Dev<TQueue>;
  using Buffer = alpaka::Buf<Device, std::byte, compat::Dim1, compat::Idx>;

  void* allocate(std::size_t bytes, TQueue& queue) override {
    Buffer buffer = alpaka::allocBuf<std::byte, compat::Idx>(alpaka::getDev(queue),
                                                             alpaka::Vec<compat::Dim1, compat::Idx>(bytes ? bytes : 1));
    void* ptr = std::data(buffer);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks_.emplace(ptr, std::move(buffer));
    }
    counts_.allocated(bytes);
    return ptr;
  }

  void free(void* ptr, std::size_t bytes, TQueue& queue) override {
    alpaka::wait(queue);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (blocks_.erase(ptr) == 0) throw std::invalid_argument("device allocator: free of a pointer it did not allocate");
    }
    counts_.freed(bytes);
  }

  AllocatorStats stats() const override { return counts_.get(); }

 private:
  std::mutex mutex_;
  std::unordered_map<void*, Buffer> blocks_;
  SystemCounts counts_;
};

template <class TQueue> struct AlpakaEvents {
  struct Completed {};
  using Event = std::conditional_t<compat::is_blocking<TQueue>, Completed, alpaka::Event<TQueue>>;
  static Event record(TQueue& queue) {
    if constexpr (compat::is_blocking<TQueue>) {
      return {};
    } else {
      Event event(alpaka::getDev(queue));
      alpaka::enqueue(queue, event);
      return event;
    }
  }
  static bool done(Event const& event) {
    if constexpr (compat::is_blocking<TQueue>) {
      return true;
    } else {
      return alpaka::isComplete(event);
    }
  }
  static void wait(Event const& event) {
    if constexpr (!compat::is_blocking<TQueue>) alpaka::wait(event);
    (void)event;
  }
};

template <class TQueue> using DeviceCachingAllocator = CachingAllocator<TQueue, AlpakaEvents<TQueue>>;

/// The program-wide caching allocator of the queue's device (CMS defaults), over that device's DeviceAllocator.
/// Created on first use, never destroyed (it may be used until the program exits).
template <class TQueue> Allocator<TQueue>& default_allocator(TQueue& queue) {
  struct Entry {
    explicit Entry(alpaka::Dev<TQueue> const& dev) : device(dev), caching(upstream, alpaka::getMemBytes(dev)) {}
    alpaka::Dev<TQueue> device;
    DeviceAllocator<TQueue> upstream;
    DeviceCachingAllocator<TQueue> caching;
  };
  static std::mutex mutex;
  static auto* entries = new std::vector<std::unique_ptr<Entry>>();  // never destroyed: see above
  std::lock_guard<std::mutex> lock(mutex);
  auto const device = alpaka::getDev(queue);
  for (auto& entry : *entries)
    if (entry->device == device) return entry->caching;
  entries->push_back(std::make_unique<Entry>(device));
  return entries->back()->caching;
}

}  // namespace sofie_soa::memory
