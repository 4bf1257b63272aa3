// sofie_soa/memory/callback_allocator.hpp — an Allocator whose allocate/free are C function pointers: how an
// allocator written in Python (ctypes callbacks) or in another language is plugged in. Alpaka-free.
#pragma once

#include <cstddef>
#include <new>

#include "sofie_soa/memory/allocator.hpp"

namespace sofie_soa::memory {

/// allocate(bytes, queue) returns memory or nullptr (→ std::bad_alloc); free(ptr, bytes, queue). `queue` is the
/// address of the caller's queue object, for identification only. Counts calls and bytes in stats().
template <class TQueue> class CallbackAllocator final : public Allocator<TQueue> {
 public:
  using AllocateFn = void* (*)(std::size_t bytes, void* queue);
  using FreeFn = void (*)(void* ptr, std::size_t bytes, void* queue);

  CallbackAllocator(AllocateFn allocate, FreeFn free) : allocate_(allocate), free_(free) {}

  void* allocate(std::size_t bytes, TQueue& queue) override {
    void* ptr = allocate_(bytes, &queue);
    if (ptr == nullptr) throw std::bad_alloc();
    counts_.allocated(bytes);
    return ptr;
  }

  void free(void* ptr, std::size_t bytes, TQueue& queue) override {
    free_(ptr, bytes, &queue);
    counts_.freed(bytes);
  }

  AllocatorStats stats() const override { return counts_.get(); }

 private:
  AllocateFn allocate_;
  FreeFn free_;
  SystemCounts counts_;
};

}  // namespace sofie_soa::memory
