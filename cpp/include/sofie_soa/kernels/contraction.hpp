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
    if constexpr (compat::is_gpu<TAcc>()) {
      compat::for_each_element(acc, count, [&](std::int64_t o) {
        std::int64_t at[3];
        outer.locate(o, at);
        out.store(at[0], cast<T>(sum<compute_t<T>>(acc, at, inner, reduced, a, b)));
      });
    } else {
      // CPU: a thread takes whole runs along the last output axis, located once and then stepped (the divisions
      // of locate would otherwise cost more than a short sum: MatMul [N, 64, 2] x [N, 2, 64] in ParticleNet).
      const int last = outer.rank - 1;
      const std::int64_t run = outer.rank > 0 ? outer.extent[last] : 1;
      const bool rows_of_b = last >= 0 && inner.rank == 1 && outer.stride[1][last] == 0 && outer.stride[2][last] == 1;
      compat::for_each_element(acc, count / run, [&](std::int64_t line) {
        std::int64_t at[3];
        outer.locate(line * run, at);
        if (rows_of_b) {  // MatMul: a row of A times B, every output's sum still over r in order
          lines_of_b<compute_t<T>>(acc, at, outer.stride[0][last], run, inner, reduced, out, a, b);
          return;
        }
        for (std::int64_t j = 0; j < run; ++j) {
          out.store(at[0], cast<T>(sum<compute_t<T>>(acc, at, inner, reduced, a, b)));
          if (last >= 0)
            for (int t = 0; t < 3; ++t) at[t] += outer.stride[t][last];
        }
      });
    }
  }

 private:
  static constexpr std::int64_t kChunk = 64;  ///< outputs of a line summed together (in the lanes of a CPU)

  /// Outputs at[0] + j * out_stride, j < run, of a line whose A element does not move along it and whose B
  /// elements are consecutive (the last axis of MatMul's B): kChunk sums at a time, each over r in order, so
  /// that the compiler vectorises over j.
  template <class C, class TAcc, class Out, class A, class B>
  ALPAKA_FN_ACC static void lines_of_b(TAcc const& acc, std::int64_t const (&at)[3], std::int64_t out_stride,
                                       std::int64_t run, IndexMap<2> const& inner, std::int64_t reduced,
                                       Out const& out, A const& a, B const& b) {
    using T = typename Out::value_type;
    const std::int64_t sa = inner.stride[0][0], sb = inner.stride[1][0];
    for (std::int64_t j0 = 0; j0 < run; j0 += kChunk) {
      const std::int64_t len = run - j0 < kChunk ? run - j0 : kChunk;
      C total[kChunk];
      for (std::int64_t j = 0; j < len; ++j) total[j] = C(0);
      for (std::int64_t r = 0; r < reduced; ++r) {
        const C av = static_cast<C>(compute(a[at[1] + inner.offset[0] + r * sa]));
        const std::int64_t pb = at[2] + inner.offset[1] + r * sb + j0;
        for (std::int64_t j = 0; j < len; ++j)
          total[j] = fn::Add{}(acc, total[j], fn::Mul{}(acc, av, static_cast<C>(compute(b[pb + j]))));
      }
      for (std::int64_t j = 0; j < len; ++j) out.store(at[0] + (j0 + j) * out_stride, cast<T>(total[j]));
    }
  }

  /// The sum over r in order (in C, the output's compute type) of a[at[1] + da(r)] * b[at[2] + db(r)], in the compute type; a one-axis reduction (every
  /// MatMul) steps its strides instead of locating each r.
  template <class C, class TAcc, class A, class B>
  ALPAKA_FN_ACC static C sum(TAcc const& acc, std::int64_t const (&at)[3], IndexMap<2> const& inner,
                             std::int64_t reduced, A const& a, B const& b) {
    C total = C(0);
    if (inner.rank <= 1) {
      const std::int64_t sa = inner.rank ? inner.stride[0][0] : 0, sb = inner.rank ? inner.stride[1][0] : 0;
      const std::int64_t pa = at[1] + inner.offset[0], pb = at[2] + inner.offset[1];
      for (std::int64_t r = 0; r < reduced; ++r)
        total = fn::Add{}(acc, total, fn::Mul{}(acc, static_cast<C>(compute(a[pa + r * sa])),
                                                static_cast<C>(compute(b[pb + r * sb]))));
      return total;
    }
    for (std::int64_t r = 0; r < reduced; ++r) {
      std::int64_t d[2];
      inner.locate(r, d);
      total = fn::Add{}(acc, total, fn::Mul{}(acc, static_cast<C>(compute(a[at[1] + d[0]])),
                                              static_cast<C>(compute(b[at[2] + d[1]]))));
    }
    return total;
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
