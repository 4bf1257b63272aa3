// sofie_soa/runtime/c_entry.hpp — the C ABI through which Python drives queues, allocators and sessions (ctypes).
//
// Include once in a translation unit after defining SOFIE_SOA_TAG (an alpaka accelerator tag); then, for a model
// library, SOFIE_SOA_SESSION_ENTRY(K, Session) once per generated Session template, K = 0, 1, ... (several models
// share one library when they are built together): it defines sofie_session_create_K, _destroy_K and _infer_K. Functions that can fail return non-zero (or
// nullptr) and copy a message into `error` (at most `error_size` bytes, NUL-terminated); no C++ exception
// crosses the ABI. Allocator handles are Allocator<Queue>*; every library built from the same headers and tag
// shares that type, so an allocator made by the queue library serves sessions of any model library.
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"
#include "sofie_soa/memory/alpaka_memory.hpp"
#include "sofie_soa/memory/callback_allocator.hpp"

namespace sofie_soa::entry {
using Acc = compat::Acc<SOFIE_SOA_TAG>;
using Queue = compat::DefaultQueue<Acc>;
using Allocator = memory::Allocator<Queue>;

/// The native stream of a GPU queue, nullptr on CPUs (a template, so that CPU builds never instantiate it).
template <class TQueue> void* native_handle(TQueue& queue) {
  if constexpr (compat::is_gpu<Acc>()) {
    return reinterpret_cast<void*>(alpaka::getNativeHandle(queue));
  } else {
    (void)queue;
    return nullptr;
  }
}

/// Makes CUDA stream `stream` wait for the work enqueued on `queue` so far, without blocking the host: an event
/// recorded on the queue's stream and waited for on `stream` (DLPack's rule for a producer handed a consumer's
/// stream). Nothing to do on CPUs, where queues are blocking.
template <class TQueue> void order_stream(TQueue& queue, void* stream) {
#if defined(ALPAKA_ACC_GPU_CUDA_ENABLED)
  if constexpr (alpaka::accMatchesTags<Acc, alpaka::TagGpuCudaRt>) {
    auto check = [](cudaError_t rc, char const* call) {
      if (rc != cudaSuccess) throw std::runtime_error(std::string(call) + ": " + cudaGetErrorString(rc));
    };
    check(cudaSetDevice(alpaka::getNativeHandle(alpaka::getDev(queue))), "cudaSetDevice");
    cudaEvent_t event;
    check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    const cudaError_t recorded = cudaEventRecord(event, alpaka::getNativeHandle(queue));
    const cudaError_t waited =
        recorded == cudaSuccess ? cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), event, 0) : recorded;
    cudaEventDestroy(event);  // released once the wait is done; the wait stays enqueued
    check(waited, recorded == cudaSuccess ? "cudaStreamWaitEvent" : "cudaEventRecord");
    return;
  }
#endif
  (void)queue;
  (void)stream;
}

template <class F> int guarded(char* error, std::size_t error_size, F&& f) {
  try {
    f();
    return 0;
  } catch (std::exception const& e) {
    if (error_size > 0) {
      std::strncpy(error, e.what(), error_size - 1);
      error[error_size - 1] = '\0';
    }
    return 1;
  }
}
}  // namespace sofie_soa::entry

#define SOFIE_SOA_EXPORT __attribute__((visibility("default")))

extern "C" {

/// A queue on device number `device`; nullptr and a message when there is no such device.
SOFIE_SOA_EXPORT void* sofie_queue_create(std::int64_t device, char* error, std::size_t error_size) {
  sofie_soa::entry::Queue* queue = nullptr;
  sofie_soa::entry::guarded(error, error_size, [&] {
    queue = new sofie_soa::entry::Queue(
        sofie_soa::compat::device<sofie_soa::entry::Acc>(static_cast<std::size_t>(device)));
  });
  return queue;
}
/// The queue's native handle (the cudaStream_t on CUDA), or nullptr on CPU back-ends.
SOFIE_SOA_EXPORT void* sofie_queue_native_handle(void* queue) {
  return sofie_soa::entry::native_handle(*static_cast<sofie_soa::entry::Queue*>(queue));
}
SOFIE_SOA_EXPORT void sofie_queue_wait(void* queue) { alpaka::wait(*static_cast<sofie_soa::entry::Queue*>(queue)); }
/// order_stream on `queue`: `stream` (a cudaStream_t, or the legacy/per-thread default stream handles 1 and 2)
/// waits for the queue's work so far. Non-zero and a message on failure.
SOFIE_SOA_EXPORT int sofie_queue_order_stream(void* queue, void* stream, char* error, std::size_t error_size) {
  return sofie_soa::entry::guarded(error, error_size, [&] {
    sofie_soa::entry::order_stream(*static_cast<sofie_soa::entry::Queue*>(queue), stream);
  });
}
/// Sets `bytes` bytes at `address` (memory of the queue's device) to zero on `queue` and waits.
SOFIE_SOA_EXPORT int sofie_queue_memset_zero(void* queue, void* address, std::size_t bytes, char* error,
                                             std::size_t error_size) {
  return sofie_soa::entry::guarded(error, error_size, [&] {
    auto& q = *static_cast<sofie_soa::entry::Queue*>(queue);
    auto view = alpaka::createView(alpaka::getDev(q), static_cast<std::byte*>(address),
                                   alpaka::Vec<sofie_soa::compat::Dim1, sofie_soa::compat::Idx>(bytes));
    alpaka::memset(q, view, 0);
    alpaka::wait(q);
  });
}
SOFIE_SOA_EXPORT void sofie_queue_destroy(void* queue) { delete static_cast<sofie_soa::entry::Queue*>(queue); }

/// The program-wide caching allocator of the queue's device (never destroyed).
SOFIE_SOA_EXPORT void* sofie_allocator_default(void* queue) {
  return &sofie_soa::memory::default_allocator(*static_cast<sofie_soa::entry::Queue*>(queue));
}
/// A caching allocator over `upstream` (an allocator handle), for the device of `queue`.
SOFIE_SOA_EXPORT void* sofie_allocator_caching(void* queue, void* upstream, unsigned bin_growth, unsigned min_bin,
                                               unsigned max_bin, std::uint64_t max_cached_bytes,
                                               double max_cached_fraction, char* error, std::size_t error_size) {
  using Caching = sofie_soa::memory::DeviceCachingAllocator<sofie_soa::entry::Queue>;
  void* made = nullptr;
  sofie_soa::entry::guarded(error, error_size, [&] {
    auto& q = *static_cast<sofie_soa::entry::Queue*>(queue);
    made = static_cast<sofie_soa::entry::Allocator*>(new Caching(
        *static_cast<sofie_soa::entry::Allocator*>(upstream), alpaka::getMemBytes(alpaka::getDev(q)),
        {bin_growth, min_bin, max_bin, static_cast<std::size_t>(max_cached_bytes), max_cached_fraction}));
  });
  return made;
}
/// An allocator calling `allocate` / `free` (C function pointers, e.g. ctypes callbacks).
SOFIE_SOA_EXPORT void* sofie_allocator_callback(void* (*allocate)(std::size_t, void*),
                                                void (*free)(void*, std::size_t, void*)) {
  return static_cast<sofie_soa::entry::Allocator*>(
      new sofie_soa::memory::CallbackAllocator<sofie_soa::entry::Queue>(allocate, free));
}
SOFIE_SOA_EXPORT void sofie_allocator_destroy(void* allocator) {
  delete static_cast<sofie_soa::entry::Allocator*>(allocator);
}
SOFIE_SOA_EXPORT void sofie_allocator_stats(void* allocator, sofie_soa::memory::AllocatorStats* out) {
  *out = static_cast<sofie_soa::entry::Allocator*>(allocator)->stats();
}
SOFIE_SOA_EXPORT void* sofie_allocator_allocate(void* allocator, std::size_t bytes, void* queue, char* error,
                                                std::size_t error_size) {
  void* ptr = nullptr;
  sofie_soa::entry::guarded(error, error_size, [&] {
    ptr = static_cast<sofie_soa::entry::Allocator*>(allocator)->allocate(bytes, *static_cast<sofie_soa::entry::Queue*>(queue));
  });
  return ptr;
}
SOFIE_SOA_EXPORT int sofie_allocator_free(void* allocator, void* ptr, std::size_t bytes, void* queue, char* error,
                                          std::size_t error_size) {
  return sofie_soa::entry::guarded(error, error_size, [&] {
    static_cast<sofie_soa::entry::Allocator*>(allocator)->free(ptr, bytes, *static_cast<sofie_soa::entry::Queue*>(queue));
  });
}


}

/// The C entry points of session number K (a generated Session template): create on a queue with an allocator
/// and the host address of the weight bytes (nullptr: the header's), destroy, and infer (n elements; FeatureRef arrays of the inputs and outputs), each returning non-zero or
/// nullptr with a message in `error` on failure.
#define SOFIE_SOA_SESSION_ENTRY(K, SESSION)                                                                        \
  extern "C" {                                                                                                     \
  SOFIE_SOA_EXPORT void* sofie_session_create_##K(void* queue, void* allocator, void const* weights, char* error,  \
                                                std::size_t size) {                                               \
    using S = SESSION<sofie_soa::entry::Acc, sofie_soa::entry::Queue>;                                             \
    S* session = nullptr;                                                                                          \
    sofie_soa::entry::guarded(error, size, [&] {                                                                   \
      session = new S(*static_cast<sofie_soa::entry::Queue*>(queue),                                              \
                      *static_cast<sofie_soa::entry::Allocator*>(allocator),                                       \
                      weights ? static_cast<std::byte const*>(weights) : S::Model::weights());                    \
    });                                                                                                            \
    return session;                                                                                                \
  }                                                                                                                \
  SOFIE_SOA_EXPORT void sofie_session_destroy_##K(void* session) {                                                \
    delete static_cast<SESSION<sofie_soa::entry::Acc, sofie_soa::entry::Queue>*>(session);                       \
  }                                                                                                                \
  SOFIE_SOA_EXPORT int sofie_session_infer_##K(void* session, void* queue, std::int64_t n,                        \
                                               sofie_soa::kernels::FeatureRef const* const* inputs,               \
                                               sofie_soa::kernels::FeatureRef const* const* outputs, char* error, \
                                               std::size_t size) {                                                \
    return sofie_soa::entry::guarded(error, size, [&] {                                                            \
      static_cast<SESSION<sofie_soa::entry::Acc, sofie_soa::entry::Queue> const*>(session)->infer(                \
          *static_cast<sofie_soa::entry::Queue*>(queue), n, inputs, outputs);                                      \
    });                                                                                                            \
  }                                                                                                                \
  }
