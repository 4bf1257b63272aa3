// sofie_soa/runtime/session_base.hpp — what every generated session shares: its weights copied once to the
// device through an allocator, and a workspace per call from the same allocator (queue-ordered), so that a
// session is immutable after construction and one session serves any number of threads and queues at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"
#include "sofie_soa/memory/alpaka_memory.hpp"

namespace sofie_soa::runtime {

template <class TAcc, class TQueue> class SessionBase {
 public:
  using Queue = TQueue;
  using Allocator = memory::Allocator<TQueue>;

  /// Copies `count` float32 weights from host memory to the queue's device, into memory from `allocator` (which
  /// must outlive the session), and waits for the copy.
  SessionBase(TQueue& queue, Allocator& allocator, float const* weights, std::size_t count)
      : queue_(queue), allocator_(allocator), weight_bytes_(count * sizeof(float)) {
    weights_ = static_cast<float*>(allocator_.allocate(weight_bytes_, queue_));
    const alpaka::Vec<compat::Dim1, compat::Idx> extent(count);
    auto host = alpaka::createView(compat::host(), weights, extent);
    auto device = alpaka::createView(alpaka::getDev(queue_), weights_, extent);
    alpaka::memcpy(queue_, device, host);
    alpaka::wait(queue_);
  }
  ~SessionBase() { allocator_.free(weights_, weight_bytes_, queue_); }
  SessionBase(SessionBase const&) = delete;
  SessionBase& operator=(SessionBase const&) = delete;

  Allocator& allocator() const { return allocator_; }

 protected:
  /// A workspace of `floats` float32 elements for work enqueued on `queue`, returned to the allocator (queue-
  /// ordered: no wait) when this object goes out of scope.
  class Workspace {
   public:
    Workspace(Allocator& allocator, TQueue& queue, std::size_t floats)
        : allocator_(allocator), queue_(queue), bytes_(floats * sizeof(float)),
          data_(bytes_ ? static_cast<float*>(allocator.allocate(bytes_, queue)) : nullptr) {}
    ~Workspace() {
      if (data_) allocator_.free(data_, bytes_, queue_);
    }
    Workspace(Workspace const&) = delete;
    Workspace& operator=(Workspace const&) = delete;
    float* data() const { return data_; }

   private:
    Allocator& allocator_;
    TQueue& queue_;
    std::size_t bytes_;
    float* data_;
  };

  float const* weights() const { return weights_; }

  /// The feature descriptors (FeatureRef arrays) of I inputs and O outputs as kernels read them.
  template <std::size_t I, std::size_t O> struct Bound {
    kernels::FeatureRef const* in[I];
    kernels::FeatureRef const* out[O];
  };

  /// Floats of staging a GPU needs for the descriptors of features `in` and `out` (0 on CPUs).
  template <std::size_t I, std::size_t O>
  static constexpr std::size_t descriptor_floats(std::int64_t const (&in)[I], std::int64_t const (&out)[O]) {
    std::int64_t count = 0;
    for (std::int64_t f : in) count += f;
    for (std::int64_t f : out) count += f;
    return compat::is_gpu<TAcc>() ? static_cast<std::size_t>(count) * sizeof(kernels::FeatureRef) / sizeof(float) : 0;
  }

  /// CPU: the caller's descriptor arrays as they are. GPU: copied into `staging` (device memory from the
  /// allocator, descriptor_floats in size) on `queue` — descriptors only, a few bytes per feature, never the data
  /// they point to. The host copy is pageable memory, which the CUDA/HIP runtime consumes before the enqueue
  /// returns.
  template <std::size_t I, std::size_t O>
  Bound<I, O> bind(TQueue& queue, Workspace const& staging, kernels::FeatureRef const* const* inputs,
                   std::int64_t const (&in)[I], kernels::FeatureRef const* const* outputs,
                   std::int64_t const (&out)[O]) const {
    Bound<I, O> bound{};
    if constexpr (!compat::is_gpu<TAcc>()) {
      (void)queue;
      (void)staging;
      for (std::size_t i = 0; i < I; ++i) bound.in[i] = inputs[i];
      for (std::size_t j = 0; j < O; ++j) bound.out[j] = outputs[j];
    } else {
      std::vector<kernels::FeatureRef> host;
      auto* device = reinterpret_cast<kernels::FeatureRef*>(staging.data());
      for (std::size_t i = 0; i < I; ++i) {
        bound.in[i] = device + host.size();
        host.insert(host.end(), inputs[i], inputs[i] + in[i]);
      }
      for (std::size_t j = 0; j < O; ++j) {
        bound.out[j] = device + host.size();
        host.insert(host.end(), outputs[j], outputs[j] + out[j]);
      }
      const alpaka::Vec<compat::Dim1, compat::Idx> bytes(host.size() * sizeof(kernels::FeatureRef));
      auto source = alpaka::createView(compat::host(), reinterpret_cast<std::byte*>(host.data()), bytes);
      auto target = alpaka::createView(alpaka::getDev(queue), reinterpret_cast<std::byte*>(device), bytes);
      alpaka::memcpy(queue, target, source);
    }
    return bound;
  }

 private:
  TQueue queue_;  // a handle to the construction queue: the weights are freed on it
  Allocator& allocator_;
  std::size_t weight_bytes_;
  float* weights_ = nullptr;
};

}  // namespace sofie_soa::runtime
