// sofie_soa/runtime/session_base.hpp — everything a generated session does except its launches: the weights
// copied once to the device through an allocator; per call, the feature descriptors bound (and staged to GPUs)
// and a workspace from the same allocator (queue-ordered), then the generated launches; the SoA-view front door
// with its checks. A session is immutable after construction, so one session serves any number of threads and
// queues at once.
//
// A generated session derives from SessionBase<Session, TAcc, TQueue, Model> (CRTP) and provides
//   void enqueue(TQueue&, std::int64_t n, Bound const&, std::byte const* w, std::byte* ws) const;
// Model gives kInputs, kOutputs, kInputNames, kOutputNames, kInputFeatures, kOutputFeatures, weights() (nullptr
// when the weights come to the constructor), kWeightBytes, kPacked / kPackedLayers / kPackedBytes (the CPU plan's packed weights) and workspace_bytes(n, gpu);
// models with indices from data also kIndexChecks, kIndexErrors and error_offset(n, gpu) (enqueue_checked).
// Sizes and offsets are in bytes; weights and workspace hold tensors of any element type, each aligned.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/core/soa_view.hpp"
#include "sofie_soa/kernels/dense.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"
#include "sofie_soa/memory/alpaka_memory.hpp"
#include "sofie_soa/runtime/bind.hpp"

namespace sofie_soa::runtime {

template <class TSession, class TAcc, class TQueue, class TModel> class SessionBase {
 public:
  using Queue = TQueue;
  using Allocator = memory::Allocator<TQueue>;
  using Model = TModel;

  /// The feature descriptors (FeatureRef arrays) of the model's inputs and outputs as kernels read them.
  struct Bound {
    kernels::FeatureRef const* in[TModel::kInputs > 0 ? TModel::kInputs : 1];
    kernels::FeatureRef const* out[TModel::kOutputs > 0 ? TModel::kOutputs : 1];
  };

  /// Weights in memory from the device's program-wide caching allocator.
  explicit SessionBase(TQueue& queue) : SessionBase(queue, memory::default_allocator(queue)) {}

  /// Copies the model's TModel::kWeightBytes weight bytes from host memory at `weights` (by default the header's,
  /// TModel::weights(); a header emitted without them — the JIT path — needs them here) to the queue's device,
  /// into memory from `allocator` (which must outlive the session), and waits for the copy. On CPUs the weights
  /// are followed by the packed copies the CPU plan's dense layers read (kernels::DenseKernel::pack). Throws
  /// std::invalid_argument when the model has weights and none are given.
  SessionBase(TQueue& queue, Allocator& allocator, std::byte const* weights = TModel::weights())
      : queue_(queue), allocator_(allocator), weight_bytes_(std::max<std::size_t>(TModel::kWeightBytes + packed_bytes(), 1)) {
    if (weights == nullptr && TModel::kWeightBytes > 0)
      throw std::invalid_argument("this session's header holds no weights: pass the model's " +
                                  std::to_string(TModel::kWeightBytes) + " weight bytes to the constructor");
    weights_ = static_cast<std::byte*>(allocator_.allocate(weight_bytes_, queue_));
    std::vector<float> staging((weight_bytes_ + sizeof(float) - 1) / sizeof(float));  // float-aligned host copy
    auto* source = reinterpret_cast<std::byte*>(staging.data());
    if (TModel::kWeightBytes > 0) std::copy(weights, weights + TModel::kWeightBytes, source);
    for (std::size_t i = 0; i < (packed_bytes() > 0 ? TModel::kPackedLayers : 0); ++i) {
      kernels::PackedLayer const& p = TModel::kPacked[i];
      kernels::DenseKernel::pack(reinterpret_cast<float const*>(source + p.weight), p.k, p.n,
                                 reinterpret_cast<float*>(source + p.packed));
    }
    const alpaka::Vec<compat::Dim1, compat::Idx> extent(weight_bytes_);
    auto host = alpaka::createView(compat::host(), source, extent);
    auto device = alpaka::createView(alpaka::getDev(queue_), weights_, extent);
    alpaka::memcpy(queue_, device, host);
    alpaka::wait(queue_);
  }
  ~SessionBase() { allocator_.free(weights_, weight_bytes_, queue_); }
  SessionBase(SessionBase const&) = delete;
  SessionBase& operator=(SessionBase const&) = delete;

  Allocator& allocator() const { return allocator_; }

  /// Enqueues inference of n elements on `queue`. inputs[i] points to TModel::kInputFeatures[i] features,
  /// outputs[j] to TModel::kOutputFeatures[j]; they must stay valid until the queue has run the work.
  /// Models that check indices read from data wait for the work and throw std::out_of_range naming the node when
  /// one was out of range (enqueue_checked).
  void infer(TQueue& queue, std::int64_t n, kernels::FeatureRef const* const* inputs,
             kernels::FeatureRef const* const* outputs) const {
    Workspace staging(allocator_, queue, descriptor_bytes());
    const Bound bound = bind(queue, staging, inputs, outputs);
    Workspace workspace(allocator_, queue, TModel::workspace_bytes(n, compat::is_gpu<TAcc>()));
    if constexpr (index_checks<TModel>::value > 0) {
      enqueue_checked(queue, n, bound, workspace.data());
    } else {
      static_cast<TSession const&>(*this).enqueue(queue, n, bound, weights_, workspace.data());
    }
  }

  /// Enqueues inference on SoA tensor views and ragged views (runtime/bind.hpp Argument; ONNX input and output
  /// order). Throws std::invalid_argument naming the tensor when a feature count or n differs from the model's, a
  /// column's dtype would lose information (unless `saturate`), or a ragged view's ranges are bad (checked on
  /// CPUs; on GPUs the kernels clamp them to the collection), before anything is enqueued.
  void infer(TQueue& queue, std::vector<Argument> const& inputs, std::vector<Argument> const& outputs,
             bool saturate = false) const {
    constexpr bool host = !compat::is_gpu<TAcc>();
    const FeatureRefs in(inputs, TModel::kInputFeatures, TModel::kInputDTypes, TModel::kInputNames, TModel::kInputs,
                         false, saturate, host);
    const FeatureRefs out(outputs, TModel::kOutputFeatures, TModel::kOutputDTypes, TModel::kOutputNames,
                          TModel::kOutputs, true, saturate, host);
    if (out.n() != in.n())
      throw std::invalid_argument("outputs have n = " + std::to_string(out.n()) + ", inputs have n = " +
                                  std::to_string(in.n()));
    infer(queue, in.n(), in.get(), out.get());
  }

 private:
  /// Models whose indices come from data (Gather, Scatter...: kernels/index_error.hpp) declare kIndexChecks > 0,
  /// kIndexErrors (a message per check, naming its node) and error_offset(n, gpu), the byte offset of the error
  /// word in the workspace; other models (and hand-written ones) need none of them.
  template <class M, class = void> struct index_checks : std::integral_constant<std::size_t, 0> {};
  template <class M>
  struct index_checks<M, std::void_t<decltype(M::kIndexChecks)>>
      : std::integral_constant<std::size_t, M::kIndexChecks> {};

  /// The launches with the workspace's error word zeroed before them and read back after them: waits for the
  /// queue, then throws std::out_of_range with the message of the first launch that met an index out of range.
  void enqueue_checked(TQueue& queue, std::int64_t n, Bound const& bound, std::byte* ws) const {
    const alpaka::Vec<compat::Dim1, compat::Idx> extent(sizeof(std::int32_t));
    std::byte* const at = ws + TModel::error_offset(n, compat::is_gpu<TAcc>());
    auto word = alpaka::createView(alpaka::getDev(queue), at, extent);
    alpaka::memset(queue, word, 0);
    static_cast<TSession const&>(*this).enqueue(queue, n, bound, weights_, ws);
    std::int32_t code = 0;
    auto host = alpaka::createView(compat::host(), reinterpret_cast<std::byte*>(&code), extent);
    alpaka::memcpy(queue, host, word);
    alpaka::wait(queue);
    if (code > 0 && static_cast<std::size_t>(code) <= TModel::kIndexChecks)
      throw std::out_of_range(TModel::kIndexErrors[code - 1]);
    if (code != 0) throw std::out_of_range("an index read from data is out of range (unknown check)");
  }

  /// `bytes` bytes for work enqueued on `queue`, returned to the allocator (queue-ordered: no wait) when this
  /// object goes out of scope.
  class Workspace {
   public:
    Workspace(Allocator& allocator, TQueue& queue, std::size_t bytes)
        : allocator_(allocator), queue_(queue), bytes_(bytes),
          data_(bytes_ ? static_cast<std::byte*>(allocator.allocate(bytes_, queue)) : nullptr) {}
    ~Workspace() {
      if (data_) allocator_.free(data_, bytes_, queue_);
    }
    Workspace(Workspace const&) = delete;
    Workspace& operator=(Workspace const&) = delete;
    std::byte* data() const { return data_; }

   private:
    Allocator& allocator_;
    TQueue& queue_;
    std::size_t bytes_;
    std::byte* data_;
  };

  /// Bytes of packed weights after the weights: the CPU plan's (GPU plans read none).
  static constexpr std::size_t packed_bytes() { return compat::is_gpu<TAcc>() ? 0 : TModel::kPackedBytes; }

  /// Bytes of device staging for the descriptors: every feature's FeatureRef on GPUs, none on CPUs.
  static constexpr std::size_t descriptor_bytes() {
    std::int64_t count = 0;
    for (std::int64_t f : TModel::kInputFeatures) count += f;
    for (std::int64_t f : TModel::kOutputFeatures) count += f;
    return compat::is_gpu<TAcc>() ? static_cast<std::size_t>(count) * sizeof(kernels::FeatureRef) : 0;
  }

  /// CPU: the caller's descriptor arrays as they are. GPU: copied into `staging` on `queue` — descriptors only,
  /// a few bytes per feature, never the data they point to. The host copy is this thread's pageable scratch,
  /// which the CUDA/HIP runtime consumes before the enqueue returns, so the next call may refill it.
  Bound bind(TQueue& queue, Workspace const& staging, kernels::FeatureRef const* const* inputs,
             kernels::FeatureRef const* const* outputs) const {
    Bound bound{};
    if constexpr (!compat::is_gpu<TAcc>()) {
      (void)queue;
      (void)staging;
      for (std::size_t i = 0; i < TModel::kInputs; ++i) bound.in[i] = inputs[i];
      for (std::size_t j = 0; j < TModel::kOutputs; ++j) bound.out[j] = outputs[j];
    } else {
      thread_local std::vector<kernels::FeatureRef> host;
      host.clear();
      auto* device = reinterpret_cast<kernels::FeatureRef*>(staging.data());
      for (std::size_t i = 0; i < TModel::kInputs; ++i) {
        bound.in[i] = device + host.size();
        host.insert(host.end(), inputs[i], inputs[i] + TModel::kInputFeatures[i]);
      }
      for (std::size_t j = 0; j < TModel::kOutputs; ++j) {
        bound.out[j] = device + host.size();
        host.insert(host.end(), outputs[j], outputs[j] + TModel::kOutputFeatures[j]);
      }
      const alpaka::Vec<compat::Dim1, compat::Idx> bytes(host.size() * sizeof(kernels::FeatureRef));
      auto source = alpaka::createView(compat::host(), reinterpret_cast<std::byte*>(host.data()), bytes);
      auto target = alpaka::createView(alpaka::getDev(queue), reinterpret_cast<std::byte*>(device), bytes);
      alpaka::memcpy(queue, target, source);
    }
    return bound;
  }

  TQueue queue_;  // a handle to the construction queue: the weights are freed on it
  Allocator& allocator_;
  std::size_t weight_bytes_;
  std::byte* weights_ = nullptr;
};

}  // namespace sofie_soa::runtime
