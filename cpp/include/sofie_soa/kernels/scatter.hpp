// sofie_soa/kernels/scatter.hpp — ScatterElements (and the deprecated Scatter) and ScatterND: the output is a
// copy of `data` (a map launch before these), then each update is combined into the element its index selects.
// Indices out of range are reported through IndexError (index_error.hpp) and their updates skipped.
//
// Order and parallelism, so that results are deterministic with duplicate indices (ONNX applies the updates in
// order, the reference evaluator's `for` loop):
//   ScatterElementsKernel (ONNX ScatterElements-18): one work item per line along the axis (the indices' other
//     coordinates). An update only reaches the output line with the same coordinates, so lines never collide;
//     each work item applies its line's updates in order.
//   ScatterNDKernel (ONNX ScatterND-18): with a reduction, one work item per position s in the addressed slice,
//     applying every tuple's update in order (tuples may repeat, but two positions never meet); without one, one
//     work item per update (ONNX leaves duplicate indices undefined there; cpu_serial keeps the last).
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/gather.hpp"
#include "sofie_soa/kernels/index_error.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

/// ONNX's `reduction` attribute: how an update combines with the element it lands on.
enum class ScatterReduction : std::int32_t { none, add, mul, max, min };

/// `current` combined with `update` (compute types); max and min propagate NaN as numpy.maximum/minimum.
template <class C> ALPAKA_FN_HOST_ACC inline C combine(ScatterReduction reduction, C current, C update) {
  switch (reduction) {
    case ScatterReduction::add: return static_cast<C>(current + update);
    case ScatterReduction::mul: return static_cast<C>(current * update);
    case ScatterReduction::max: return (update > current || update != update) ? update : current;
    case ScatterReduction::min: return (update < current || update != update) ? update : current;
    default: return update;
  }
}

/// out[at] = combine(out[at], update) in the compute type of the output's element type.
template <class Out, class U>
ALPAKA_FN_HOST_ACC inline void apply_update(Out const& out, std::int64_t at, U update, ScatterReduction reduction) {
  using T = typename Out::value_type;
  if (reduction == ScatterReduction::none) {
    out.store(at, update);
  } else {
    out.store(at, cast<T>(combine(reduction, compute(out[at]), compute(update))));
  }
}

struct ScatterElementsKernel {
  /// `lines` work items; map slot 0 addresses indices and updates (row-major over the indices' shape), slot 1 the
  /// output, both without the axis; `length` updates per line, `update_stride` / `axis_stride` their strides and
  /// the output's along the axis, whose extent is `axis_extent`.
  template <class TAcc, class Indices, class Updates, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t lines, IndexMap<2> map, Indices indices,
                                Updates updates, Out out, std::int64_t length, std::int64_t update_stride,
                                std::int64_t axis_extent, std::int64_t axis_stride, ScatterReduction reduction,
                                IndexError error) const {
    compat::for_each_element(acc, lines, [&](std::int64_t line) {
      std::int64_t at[2];
      map.locate(line, at);
      for (std::int64_t j = 0; j < length; ++j) {
        const std::int64_t u = at[0] + j * update_stride;
        std::int64_t index = static_cast<std::int64_t>(indices[u]);
        if (!wrap_index(index, axis_extent)) {
          error.raise(acc);
          continue;
        }
        apply_update(out, at[1] + index * axis_stride, updates[u], reduction);
      }
    });
  }
};

struct ScatterNDKernel {
  /// `tuples` index tuples of geometry.k indices, each with a slice of geometry.slice updates.
  template <class TAcc, class Indices, class Updates, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, Indices indices, Updates updates, Out out,
                                std::int64_t tuples, TupleGeometry geometry, ScatterReduction reduction,
                                IndexError error) const {
    const bool per_update = reduction == ScatterReduction::none;
    compat::for_each_element(acc, count, [&](std::int64_t w) {
      const std::int64_t first = per_update ? w / geometry.slice : 0;
      const std::int64_t last = per_update ? first + 1 : tuples;
      const std::int64_t s = per_update ? w - first * geometry.slice : w;
      for (std::int64_t g = first; g < last; ++g) {
        std::int64_t at;
        if (!geometry.locate(indices, g, at)) {
          if (per_update || s == 0) error.raise(acc);
          continue;
        }
        apply_update(out, at + s, updates[g * geometry.slice + s], reduction);
      }
    });
  }
};

}  // namespace sofie_soa::kernels
