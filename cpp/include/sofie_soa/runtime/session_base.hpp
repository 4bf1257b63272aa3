// sofie_soa/runtime/session_base.hpp — what every generated session shares: its weights copied once to the
// device, and a workspace for intermediate tensors that grows with the element count n.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"

namespace sofie_soa::runtime {

template <class TAcc> class SessionBase {
 public:
  using Device = alpaka::Dev<TAcc>;
  using FloatBuf = alpaka::Buf<Device, float, compat::Dim1, compat::Idx>;

  /// Copies `count` float32 weights from host memory to `device` (a blocking copy, once).
  SessionBase(Device const& device, float const* weights, std::size_t count)
      : device_(device), weights_(alloc(device, count)) {
    if (count == 0) return;
    alpaka::Queue<TAcc, alpaka::Blocking> queue(device_);
    auto host = alpaka::createView(compat::host(), weights, alpaka::Vec<compat::Dim1, compat::Idx>(count));
    alpaka::memcpy(queue, weights_, host);
  }

  Device const& device() const { return device_; }

 protected:
  float const* weights() const { return std::data(weights_); }

  /// A workspace of at least `floats` float32 elements; reallocated (after waiting for `queue`) when too small.
  template <class TQueue> float* workspace(TQueue& queue, std::size_t floats) {
    if (!workspace_ || capacity_ < floats) {
      alpaka::wait(queue);
      workspace_.reset();
      workspace_.emplace(alloc(device_, floats));
      capacity_ = floats;
    }
    return std::data(*workspace_);
  }

 private:
  static FloatBuf alloc(Device const& device, std::size_t count) {
    return alpaka::allocBuf<float, compat::Idx>(device, alpaka::Vec<compat::Dim1, compat::Idx>(count > 0 ? count : 1));
  }

  Device device_;
  FloatBuf weights_;
  std::optional<FloatBuf> workspace_;
  std::size_t capacity_ = 0;
};

}  // namespace sofie_soa::runtime
