// sofie_soa/kernels/gather.hpp — Gather, GatherElements, GatherND and OneHot: each output element reads one
// element of `data` at a position computed from an index (int32 or int64, read as int64). Indices out of range
// are reported through IndexError (index_error.hpp) and the element is not written.
//
//   GatherKernel (ONNX Gather-13): data viewed as [outer, K, inner], indices flat [J]; output [outer, J, inner]:
//     out[p, j, q] = data[p, indices[j], q].
//   GatherElementsKernel (ONNX GatherElements-13): output and indices of the same shape; `map` walks it (slot 0:
//     the output, row-major; slot 1: data with stride 0 along the axis); out[i] = data[map(1, i) + indices[i] *
//     axis_stride].
//   GatherNDKernel (ONNX GatherND-13, batch_dims): indices [G, k] (G = batches * groups), output [G, S]:
//     out[g, s] = data[(g / groups) * batch_stride + sum_m indices[g, m] * stride[m] + s], each index against
//     extent[m].
//   OneHotKernel (ONNX OneHot-11): indices [P, Q] (any numeric type, truncated), output [P, depth, Q]:
//     out[p, d, q] = (indices[p, q] == d ? on : off) with on = values[1], off = values[0]; an index outside
//     [-depth, depth) gives a row of `off` (ONNX), so nothing is reported.
#pragma once

#include <algorithm>
#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_error.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

struct GatherKernel {
  template <class TAcc, class Data, class Indices, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, Data data, Indices indices, Out out,
                                std::int64_t axis_extent, std::int64_t gathered, std::int64_t inner,
                                IndexError error) const {
    if constexpr (!compat::is_gpu<TAcc>()) {
      // CPUs: each thread's range row by row — (p, j) advanced without divisions, one index read per row of
      // `inner` elements, which are copied as a run (the windows of Conv and the pools, compiler/bodies/).
      compat::for_each_range(acc, count, [&](std::int64_t first, std::int64_t last) {
        const std::int64_t t = first / inner;
        std::int64_t q = first - t * inner;
        std::int64_t p = t / gathered;
        std::int64_t j = t - p * gathered;
        for (std::int64_t o = first; o < last;) {
          const std::int64_t run = std::min(inner - q, last - o);
          std::int64_t index = static_cast<std::int64_t>(indices[j]);
          if (wrap_index(index, axis_extent)) {
            const std::int64_t from = (p * axis_extent + index) * inner + q;
            for (std::int64_t s = 0; s < run; ++s) out.store(o + s, data[from + s]);
          } else {
            error.raise(acc);
          }
          o += run;
          q = 0;
          if (++j == gathered) j = 0, ++p;
        }
      });
      return;
    }
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      const std::int64_t t = o / inner;
      const std::int64_t q = o - t * inner;
      const std::int64_t p = t / gathered;
      std::int64_t index = static_cast<std::int64_t>(indices[t - p * gathered]);
      if (!wrap_index(index, axis_extent)) return error.raise(acc);
      out.store(o, data[(p * axis_extent + index) * inner + q]);
    });
  }
};

struct GatherElementsKernel {
  template <class TAcc, class Data, class Indices, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<2> map, Data data, Indices indices,
                                Out out, std::int64_t axis_extent, std::int64_t axis_stride, IndexError error) const {
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      std::int64_t index = static_cast<std::int64_t>(indices[o]);
      if (!wrap_index(index, axis_extent)) return error.raise(acc);
      out.store(o, data[map(1, o) + index * axis_stride]);
    });
  }
};

/// Where the k indices of one tuple point, in a tensor viewed as [batches, extent[0], ..., extent[k-1], slice]
/// (GatherND, ScatterND).
struct TupleGeometry {
  int k = 0;                              ///< indices per tuple (the last extent of the indices)
  std::int64_t extent[kMaxRank] = {};     ///< the extents the indices address
  std::int64_t stride[kMaxRank] = {};     ///< their strides (elements)
  std::int64_t slice = 1;                 ///< elements of one addressed slice
  std::int64_t groups = 1;                ///< tuples per batch
  std::int64_t batch_stride = 0;          ///< elements of one batch of the addressed tensor

  /// The first element of tuple g's slice; false (nothing to address) when one of its indices is out of range.
  template <class Indices> ALPAKA_FN_HOST_ACC bool locate(Indices const& indices, std::int64_t g,
                                                          std::int64_t& at) const {
    at = (g / groups) * batch_stride;
    for (int m = 0; m < k; ++m) {
      std::int64_t index = static_cast<std::int64_t>(indices[g * k + m]);
      if (!wrap_index(index, extent[m])) return false;
      at += index * stride[m];
    }
    return true;
  }
};

struct GatherNDKernel {
  template <class TAcc, class Data, class Indices, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, Data data, Indices indices, Out out,
                                TupleGeometry geometry, IndexError error) const {
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      const std::int64_t g = o / geometry.slice;
      std::int64_t at;
      if (!geometry.locate(indices, g, at)) return error.raise(acc);
      out.store(o, data[at + o - g * geometry.slice]);
    });
  }
};

struct OneHotKernel {
  template <class TAcc, class Indices, class Values, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, Indices indices, Values values, Out out,
                                std::int64_t depth, std::int64_t inner, bool negative) const {
    using T = typename Out::value_type;
    const T off = values[0], on = values[1];
    compat::for_each_element(acc, count, [&](std::int64_t o) {
      const std::int64_t t = o / inner;
      const std::int64_t q = o - t * inner;
      const std::int64_t p = t / depth;
      std::int64_t index = cast<std::int64_t>(compute(indices[p * inner + q]));
      const bool hit = wrap_index(index, depth, negative) && index == t - p * depth;
      out.store(o, hit ? on : off);
    });
  }
};

}  // namespace sofie_soa::kernels
