// sofie_soa/kernels/reduce.hpp — the reduction family (ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin,
// ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare; ArgMax, ArgMin).
//
// ReduceKernel<K>: for every output position o (the walk `outer`, slots: output, input),
//   out[o] = finish(combine over r < reduced of in[p(o) + d(r)])
// where `inner` walks the reduced axes (slot: input), in any order and any set of axes (an empty set reduces
// each element alone: noop_with_empty_axes). Values are combined in compute_t<T> (float for float16; integers in
// their own type, wrapping as ONNX Runtime does); Mean of integers divides with truncation toward zero; the
// floating parts of L2 and LogSum on integers, and all of LogSumExp on them (ONNX allows integers before
// opset 28), run in double and are cast back (types.hpp cast). An empty reduction gives the kind's identity:
// 0 (Sum, L1, L2, SumSquare), 1 (Prod), -inf / lowest (Max), +inf / highest (Min), NaN (Mean of floats, 0 for
// integers), -inf (LogSum, LogSumExp). Max and Min propagate NaN (a NaN wins, as numpy.maximum.reduce, the ONNX
// reference); for bool (ReduceMax/Min-20) they are "any" and "all".
//
// ArgReduceKernel<Max>: ArgMax / ArgMin along one axis of extent `len` (element stride `stride` in the input)
// from p(o): the int64 index of the first extremum, or of the last with `last` (select_last_index). A NaN wins
// (as numpy.argmax, the ONNX reference): the index of the first (last) NaN.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

enum class ReduceKind : std::int32_t { sum, mean, max, min, prod, l1, l2, log_sum, log_sum_exp, sum_square };

namespace detail {

template <class C> ALPAKA_FN_HOST_ACC inline bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return !(v == v);
  } else {
    return false;
  }
}

/// Whether v replaces the running extremum `best` (the larger for Max, the smaller otherwise); a NaN wins.
template <bool Max, class C> ALPAKA_FN_HOST_ACC inline bool better(C v, C best) {
  if (is_nan(best)) return false;
  if (is_nan(v)) return true;
  if constexpr (Max) {
    return v > best;
  } else {
    return v < best;
  }
}

/// The smallest (Max) or largest (Min) value of C: the identity of an empty Max / Min.
template <bool Max, class C> ALPAKA_FN_HOST_ACC inline C extreme() {
  if constexpr (std::is_floating_point_v<C>) {
    return Max ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity();
  } else {
    return Max ? std::numeric_limits<C>::lowest() : std::numeric_limits<C>::max();
  }
}

/// a + b and a * b, wrapping for integers (two's complement, as ONNX Runtime's sums do) without signed overflow.
template <class C> using wrap_t = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;
template <class C> ALPAKA_FN_HOST_ACC inline C add(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<wrap_t<C>>(static_cast<wrap_t<C>>(a) + static_cast<wrap_t<C>>(b)));
  } else {
    return a + b;
  }
}
template <class C> ALPAKA_FN_HOST_ACC inline C mul(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<wrap_t<C>>(static_cast<wrap_t<C>>(a) * static_cast<wrap_t<C>>(b)));
  } else {
    return a * b;
  }
}

template <class C> ALPAKA_FN_HOST_ACC inline C magnitude(C v) {
  if constexpr (std::is_unsigned_v<C>) {
    return v;
  } else {
    return v < C(0) ? detail::mul(v, C(-1)) : v;
  }
}

}  // namespace detail

template <ReduceKind K> struct ReduceKernel {
  template <class TAcc, class Out, class In>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<2> outer, IndexMap<1> inner,
                                std::int64_t reduced, Out out, In in) const {
    using T = typename Out::value_type;
    using C = compute_t<T>;
    using F = std::conditional_t<std::is_floating_point_v<C>, C, double>;  // where logs and roots are taken
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      std::int64_t at[2];
      outer.locate(o, at);
      auto value = [&](std::int64_t r) {
        std::int64_t d[1];
        inner.locate(r, d);
        return static_cast<C>(compute(in[at[1] + d[0]]));
      };
      if constexpr (K == ReduceKind::max || K == ReduceKind::min) {
        constexpr bool kMax = K == ReduceKind::max;
        C best = detail::extreme<kMax, C>();
        for (std::int64_t r = 0; r < reduced; ++r) {
          const C v = value(r);
          if (detail::better<kMax>(v, best)) best = v;
        }
        out.store(at[0], cast<T>(best));
      } else if constexpr (K == ReduceKind::log_sum_exp) {
        F peak = F(0);  // the largest finite value (0 when there is none), subtracted before exp
        bool found = false;
        for (std::int64_t r = 0; r < reduced; ++r) {
          const F v = static_cast<F>(value(r));
          if (v - v == F(0) && (!found || v > peak)) {
            peak = v;
            found = true;
          }
        }
        F sum = F(0);
        for (std::int64_t r = 0; r < reduced; ++r) sum += alpaka::math::exp(acc, static_cast<F>(value(r)) - peak);
        out.store(at[0], cast<T>(alpaka::math::log(acc, sum) + peak));
      } else {
        C total = K == ReduceKind::prod ? C(1) : C(0);
        for (std::int64_t r = 0; r < reduced; ++r) {
          const C v = value(r);
          if constexpr (K == ReduceKind::prod) {
            total = detail::mul(total, v);
          } else if constexpr (K == ReduceKind::l1) {
            total = detail::add(total, detail::magnitude(v));
          } else if constexpr (K == ReduceKind::l2 || K == ReduceKind::sum_square) {
            total = detail::add(total, detail::mul(v, v));
          } else {
            total = detail::add(total, v);
          }
        }
        if constexpr (K == ReduceKind::mean) {
          if constexpr (std::is_floating_point_v<C>) {
            total = total / static_cast<C>(reduced);
          } else {
            total = reduced > 0 ? static_cast<C>(total / static_cast<C>(reduced)) : C(0);
          }
          out.store(at[0], cast<T>(total));
        } else if constexpr (K == ReduceKind::l2) {
          out.store(at[0], cast<T>(alpaka::math::sqrt(acc, static_cast<F>(total))));
        } else if constexpr (K == ReduceKind::log_sum) {
          out.store(at[0], cast<T>(alpaka::math::log(acc, static_cast<F>(total))));
        } else {
          out.store(at[0], cast<T>(total));
        }
      }
    });
  }
};

template <bool Max> struct ArgReduceKernel {
  template <class TAcc, class Out, class In>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<2> outer, std::int64_t len,
                                std::int64_t stride, bool last, Out out, In in) const {
    using C = compute_t<typename In::value_type>;
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      std::int64_t at[2];
      outer.locate(o, at);
      if (len <= 0) {  // ONNX leaves an empty axis undefined (the compiler refuses a fixed one): index 0
        out.store(at[0], typename Out::value_type(0));
        return;
      }
      C best = static_cast<C>(compute(in[at[1]]));
      std::int64_t index = 0;
      for (std::int64_t j = 1; j < len; ++j) {
        const C v = static_cast<C>(compute(in[at[1] + j * stride]));
        if (detail::better<Max>(v, best) || (last && !detail::is_nan(best) && v == best) ||
            (last && detail::is_nan(best) && detail::is_nan(v))) {
          best = v;
          index = j;
        }
      }
      out.store(at[0], static_cast<typename Out::value_type>(index));
    });
  }
};

}  // namespace sofie_soa::kernels
