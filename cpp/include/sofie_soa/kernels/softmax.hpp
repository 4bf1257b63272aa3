// sofie_soa/kernels/softmax.hpp — Softmax / LogSoftmax over one axis of a tensor viewed as [outer, len, inner]
// (opset 13 semantics; opset < 13 coerces to 2-D, which the compiler expresses with inner = 1).
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"

namespace sofie_soa::kernels {

struct SoftmaxKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, In in, Out out, std::int64_t len,
                                std::int64_t inner, bool log) const {
    compat::for_each_element(acc, count, [&](std::int64_t line) {
      const std::int64_t base = (line / inner) * len * inner + line % inner;
      float peak = in[base];
      for (std::int64_t j = 1; j < len; ++j) peak = in[base + j * inner] > peak ? in[base + j * inner] : peak;
      float sum = 0.f;
      for (std::int64_t j = 0; j < len; ++j) sum += alpaka::math::exp(acc, in[base + j * inner] - peak);
      const float log_sum = alpaka::math::log(acc, sum);
      for (std::int64_t j = 0; j < len; ++j) {
        const float shifted = in[base + j * inner] - peak;
        out.store(base + j * inner, log ? shifted - log_sum : alpaka::math::exp(acc, shifted) / sum);
      }
    });
  }
};

}  // namespace sofie_soa::kernels
