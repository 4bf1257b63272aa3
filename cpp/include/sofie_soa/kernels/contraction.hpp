// sofie_soa/kernels/contraction.hpp — the general tensor contraction: for every output position o,
//   out[o] = sum over reduction positions r of a[pa(o) + da(r)] * b[pb(o) + db(r)]
// with the output walk `outer` (slots: output, a, b) and the reduction walk `inner` (slots: a, b) as index maps.
// It runs MatMul of two computed tensors (batch dimensions broadcast), Gemm with computed or transposed operands
// and Einsum (any equation of one or two operands; repeated subscripts are summed strides). Sums run in the
// element type's compute type, over r in order. Constant-weight float32 layers use the register-blocked
// DenseKernel instead (dense.hpp).
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/functors/binary.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

struct ContractionKernel {
  template <class TAcc, class Out, class A, class B>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<3> outer, IndexMap<2> inner,
                                std::int64_t reduced, Out out, A a, B b) const {
    using T = typename Out::value_type;
    using C = compute_t<T>;
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      std::int64_t at[3];
      outer.locate(o, at);
      C sum = C(0);
      for (std::int64_t r = 0; r < reduced; ++r) {
        std::int64_t d[2];
        inner.locate(r, d);
        sum = fn::Add{}(acc, sum, fn::Mul{}(acc, static_cast<C>(compute(a[at[1] + d[0]])),
                                                static_cast<C>(compute(b[at[2] + d[1]]))));
      }
      out.store(at[0], cast<T>(sum));
    });
  }
};

/// Einsum of one operand: out[o] = sum over r of a[pa(o) + da(r)] (a trace, a sum over axes, a transpose).
struct ReductionSumKernel {
  template <class TAcc, class Out, class A>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<2> outer, IndexMap<1> inner,
                                std::int64_t reduced, Out out, A a) const {
    using T = typename Out::value_type;
    using C = compute_t<T>;
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      std::int64_t at[2];
      outer.locate(o, at);
      C sum = C(0);
      for (std::int64_t r = 0; r < reduced; ++r) {
        std::int64_t d[1];
        inner.locate(r, d);
        sum = fn::Add{}(acc, sum, static_cast<C>(compute(a[at[1] + d[0]])));
      }
      out.store(at[0], cast<T>(sum));
    });
  }
};

}  // namespace sofie_soa::kernels
