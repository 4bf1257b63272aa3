// sofie_soa/kernels/topk.hpp — TopK (ONNX TopK-11): the k largest (or smallest) elements along one axis and their
// indices, in order, ties resolved towards the lower index (ONNX), NaN ordered above every number (as NumPy sorts).
//
//   TopKKernel: data viewed as [outer, extent, inner]; values and indices [outer, k, inner]. One work item per line
//   (outer, inner). For k <= kLocal (the kNN of ParticleNet, k ≈ 16 of ≈ 100) one pass over the line keeps the
//   best k so far in order in local arrays, inserting an element only when it beats the k-th (extent comparisons
//   and a few insertions); for larger k, pass r picks the element that comes first in the order among those after
//   pass r − 1's pick, so the k passes read the line k times and need no storage (k · extent comparisons).
#pragma once

#include <cstdint>
#include <type_traits>

#include "sofie_soa/alpaka/compat.hpp"

namespace sofie_soa::kernels {

struct TopKKernel {
  template <class TAcc, class Data, class Values, class Indices>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t lines, Data data, Values values, Indices indices,
                                std::int64_t extent, std::int64_t inner, std::int64_t k, bool largest) const {
    using V = typename Values::value_type;
    compat::for_each_element(acc, lines, [&](std::int64_t line) {
      const std::int64_t p = line / inner;
      const std::int64_t q = line - p * inner;
      const std::int64_t first = p * extent * inner + q;
      const std::int64_t out = p * k * inner + q;
      if (k <= kLocal) {
        select_local<V>(data, values, indices, first, out, extent, inner, k, largest);
        return;
      }
      V last_value{};
      std::int64_t last = -1;
      for (std::int64_t r = 0; r < k; ++r) {
        V best_value{};
        std::int64_t best = -1;
        for (std::int64_t j = 0; j < extent; ++j) {
          const V v = static_cast<V>(data[first + j * inner]);
          if (last >= 0 && !before(last_value, last, v, j, largest)) continue;
          if (best < 0 || before(v, j, best_value, best, largest)) {
            best = j;
            best_value = v;
          }
        }
        values.store(out + r * inner, best_value);
        indices.store(out + r * inner, best);
        last_value = best_value;
        last = best;
      }
    });
  }

  static constexpr std::int64_t kLocal = 32;  ///< the largest k kept in local arrays

  /// One line's top k (k <= kLocal) in one pass: the best so far, in order, in local arrays; an element enters only
  /// when it comes before the current k-th, shifting the worse ones down.
  template <class V, class Data, class Values, class Indices>
  ALPAKA_FN_HOST_ACC static void select_local(Data const& data, Values const& values, Indices const& indices,
                                              std::int64_t first, std::int64_t out, std::int64_t extent,
                                              std::int64_t inner, std::int64_t k, bool largest) {
    V best_value[kLocal];
    std::int64_t best[kLocal];
    std::int64_t count = 0;
    for (std::int64_t j = 0; j < extent; ++j) {
      const V v = static_cast<V>(data[first + j * inner]);
      // j is above every index kept: it goes after the elements it does not come before (ties: the lower index)
      if (count == k && !before(v, j, best_value[k - 1], best[k - 1], largest)) continue;
      std::int64_t at = count < k ? count++ : k - 1;
      for (; at > 0 && before(v, j, best_value[at - 1], best[at - 1], largest); --at) {
        best_value[at] = best_value[at - 1];
        best[at] = best[at - 1];
      }
      best_value[at] = v;
      best[at] = j;
    }
    for (std::int64_t r = 0; r < k; ++r) {
      values.store(out + r * inner, r < count ? best_value[r] : V{});
      indices.store(out + r * inner, r < count ? best[r] : -1);
    }
  }

  /// Whether (a, index ia) comes before (b, index ib): the larger value first (the smaller one when !largest),
  /// equal values by the lower index.
  template <class V>
  ALPAKA_FN_HOST_ACC static bool before(V a, std::int64_t ia, V b, std::int64_t ib, bool largest) {
    if (greater(a, b)) return largest;
    if (greater(b, a)) return !largest;
    return ia < ib;
  }

  /// a > b with NaN above every number and equal to itself.
  template <class V> ALPAKA_FN_HOST_ACC static bool greater(V a, V b) {
    if constexpr (std::is_integral_v<V>) {
      return a > b;
    } else {
      const bool a_nan = !(a == a), b_nan = !(b == b);
      return a_nan ? !b_nan : (!b_nan && a > b);
    }
  }
};

}  // namespace sofie_soa::kernels
