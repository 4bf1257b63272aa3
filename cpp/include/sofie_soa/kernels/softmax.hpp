// sofie_soa/kernels/softmax.hpp — Softmax, LogSoftmax and Hardmax along one axis of a tensor viewed as
// [outer, len, inner] (opset >= 13; older opsets coerce to 2-D, which the compiler expresses with inner = 1 and
// len the product of the trailing axes). Computed in the element type's compute type (float for float16).
// Hardmax marks the first maximum (ONNX: ties go to the lower index).
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

enum class SoftmaxKind : std::int32_t { softmax, log_softmax, hardmax };

struct SoftmaxKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t lines, In in, Out out, std::int64_t len,
                                std::int64_t inner, SoftmaxKind kind) const {
    using T = typename Out::value_type;
    using C = compute_t<T>;
    compat::for_each_element(acc, lines, [&](std::int64_t line) {
      const std::int64_t base = (line / inner) * len * inner + line % inner;
      C peak = compute(in[base]);
      std::int64_t first = 0;
      for (std::int64_t j = 1; j < len; ++j) {
        const C v = compute(in[base + j * inner]);
        if (v > peak || (!(v == v) && peak == peak)) {  // a NaN wins, so that it propagates
          peak = v;
          first = j;
        }
      }
      if (kind == SoftmaxKind::hardmax) {
        for (std::int64_t j = 0; j < len; ++j) out.store(base + j * inner, cast<T>(C(j == first ? 1 : 0)));
        return;
      }
      C sum = 0;
      for (std::int64_t j = 0; j < len; ++j) sum += alpaka::math::exp(acc, compute(in[base + j * inner]) - peak);
      const C log_sum = alpaka::math::log(acc, sum);
      for (std::int64_t j = 0; j < len; ++j) {
        const C shifted = compute(in[base + j * inner]) - peak;
        out.store(base + j * inner,
                  cast<T>(kind == SoftmaxKind::log_softmax ? shifted - log_sum : alpaka::math::exp(acc, shifted) / sum));
      }
    });
  }
};

}  // namespace sofie_soa::kernels
