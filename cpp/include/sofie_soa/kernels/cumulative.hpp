// sofie_soa/kernels/cumulative.hpp — ONNX CumSum (opset 11, 14) and CumProd (opset 26) along one axis of a
// tensor viewed as [outer, len, inner]: one work item per line (outer · inner of them) scans its `len` elements
// in order, or from the end with `reverse`; with `exclusive` element j takes the running value before it (0 for
// sums, 1 for products, at the line's first element). Runs in compute_t<T> (float for float16); integers wrap
// (two's complement) as ONNX Runtime's do.
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/reduce.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

template <bool Product> struct CumulativeKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t lines, In in, Out out, std::int64_t len,
                                std::int64_t inner, bool exclusive, bool reverse) const {
    using T = typename Out::value_type;
    using C = compute_t<T>;
    compat::for_each_element(acc, lines, [&](std::int64_t line) {
      const std::int64_t base = (line / inner) * len * inner + line % inner;
      C running = Product ? C(1) : C(0);
      for (std::int64_t k = 0; k < len; ++k) {
        const std::int64_t at = base + (reverse ? len - 1 - k : k) * inner;
        const C v = static_cast<C>(compute(in[at]));
        if (exclusive) out.store(at, cast<T>(running));
        running = Product ? detail::mul(running, v) : detail::add(running, v);
        if (!exclusive) out.store(at, cast<T>(running));
      }
    });
  }
};

}  // namespace sofie_soa::kernels
