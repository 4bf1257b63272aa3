// sofie_soa/runtime/session_base.hpp — what every generated session shares: its weights copied once to the
// device through an allocator, and a workspace per call from the same allocator (queue-ordered), so that a
// session is immutable after construction and one session serves any number of threads and queues at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"
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

 private:
  TQueue queue_;  // a handle to the construction queue: the weights are freed on it
  Allocator& allocator_;
  std::size_t weight_bytes_;
  float* weights_ = nullptr;
};

}  // namespace sofie_soa::runtime
