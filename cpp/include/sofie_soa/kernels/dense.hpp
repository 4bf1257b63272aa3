// sofie_soa/kernels/dense.hpp — the dense layer: Y[m, j] = epilogue(sum_k X[m, k] * W[j, k] + b[j]).
//
// The ONNX Gemm/MatMul attributes (alpha, beta, transA = 0, transB) are folded into W (laid out [N, K], one
// contiguous row per output) and b ([N], or none) by the compiler. X is read through an accessor, so the first
// layer reads SoA columns in place; Y is written through one, so the last layer writes output columns in place.
// One output row per element: the sum over k runs in a fixed order, so results are bitwise identical whatever
// the work division.
#pragma once

#include <cstdint>

#include "sofie_soa/kernels/unary.hpp"

namespace sofie_soa::kernels {

struct DenseKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t rows, In x, Out y, float const* weight,
                                float const* bias, std::int64_t k_dim, std::int64_t n_dim, Unary epilogue) const {
    compat::for_each_element(acc, rows, [&](std::int64_t m) {
      for (std::int64_t j = 0; j < n_dim; ++j) {
        float const* w = weight + j * k_dim;
        float sum = 0.f;
        for (std::int64_t k = 0; k < k_dim; ++k) sum += x.at(m, k) * w[k];
        if (bias) sum += bias[j];
        y.set(m, j, epilogue(acc, sum));
      }
    });
  }
};

}  // namespace sofie_soa::kernels
