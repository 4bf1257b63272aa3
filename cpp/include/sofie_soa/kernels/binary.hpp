// sofie_soa/kernels/binary.hpp — element-wise Add, Sub, Mul, Div with NumPy (ONNX multidirectional)
// broadcasting: out[map(2, i)] = op(a[map(0, i)], b[map(1, i)]).
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_map.hpp"

namespace sofie_soa::kernels {

enum class BinaryKind : std::int32_t { add, sub, mul, div };

struct BinaryKernel {
  template <class TAcc, class InA, class InB, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, InA a, InB b, Out out, IndexMap map,
                                BinaryKind kind) const {
    compat::for_each_element(acc, count, [&](std::int64_t i) {
      const float x = a[map(0, i)];
      const float y = b[map(1, i)];
      float r = 0.f;
      switch (kind) {
        case BinaryKind::add: r = x + y; break;
        case BinaryKind::sub: r = x - y; break;
        case BinaryKind::mul: r = x * y; break;
        case BinaryKind::div: r = x / y; break;
      }
      out.store(map(2, i), r);
    });
  }
};

/// out[map(2, i)] = in[map(0, i)]: Transpose, one input of a Concat, or a Reshape that must move data.
struct CopyKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, In in, Out out, IndexMap map) const {
    compat::for_each_element(acc, count, [&](std::int64_t i) { out.store(map(2, i), in[map(0, i)]); });
  }
};

}  // namespace sofie_soa::kernels
