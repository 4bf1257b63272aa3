// sofie_soa/kernels/pad.hpp — Pad-18 in reflect, edge and wrap modes: each output position reads the input at a
// per-dimension source index (constant mode is a fill plus a strided copy, compiler/ops/movement.py).
//   reflect: mirrored without repeating the edge (-1 -> 1);  edge: clamped;  wrap: modulo the extent.
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_map.hpp"

namespace sofie_soa::kernels {

enum class PadMode : std::int32_t { reflect, edge, wrap };

/// The input's rank, extents, row-major strides, and the padding before each dimension.
struct PadGeometry {
  int rank = 0;
  std::int64_t out_extent[kMaxRank] = {};
  std::int64_t in_extent[kMaxRank] = {};
  std::int64_t in_stride[kMaxRank] = {};
  std::int64_t before[kMaxRank] = {};
};

struct PadKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, PadGeometry g, PadMode mode, In in,
                                Out out) const {
    compat::for_each_element(acc, count, [&](std::int64_t i) {
      std::int64_t rest = i, source = 0;
      for (int d = g.rank - 1; d >= 0; --d) {
        const std::int64_t extent = g.in_extent[d];
        std::int64_t k = rest % g.out_extent[d] - g.before[d];
        rest /= g.out_extent[d];
        if (mode == PadMode::edge) {
          k = k < 0 ? 0 : (k >= extent ? extent - 1 : k);
        } else if (mode == PadMode::wrap) {
          k = ((k % extent) + extent) % extent;
        } else if (extent == 1) {
          k = 0;
        } else {  // reflect: period 2 (extent - 1)
          const std::int64_t period = 2 * (extent - 1);
          k = ((k % period) + period) % period;
          if (k >= extent) k = period - k;
        }
        source += k * g.in_stride[d];
      }
      out.store(i, in[source]);
    });
  }
};

}  // namespace sofie_soa::kernels
