// sofie_soa/kernels/dense.hpp — dense layers: Y[m, j] = epilogue(sum_k X[m, k] * W[j, k] + b[j]), one layer or a
// chain of them fused into one launch (the output of each feeding the next without leaving the thread).
//
// The ONNX Gemm/MatMul attributes (alpha, beta, transA = 0, transB) are folded into W (laid out [N, K], one
// contiguous row per output) and b ([N], or none) by the compiler. X is read through an accessor, so the first
// layer reads SoA columns in place (each element converted once); Y is written through one, so the last layer
// writes output columns in place.
//
// CPU: a thread owns tiles of kTileRows rows. It loads the tile's X transposed into kTileRows-wide SIMD lanes,
// then computes kBlock outputs at a time over all k, the lanes holding the tile's rows; intermediate layers stay in
// those lanes. GPU, or a first layer wider than kMaxWidth: one row at a time. Each output's sum runs over k in
// order, so results are bitwise identical whatever the work division.
#pragma once

#include <cstdint>

#include "sofie_soa/kernels/unary.hpp"

namespace sofie_soa::kernels {

/// One layer: K inputs, N outputs, W [N, K] and b [N] (or nullptr), then the epilogue.
struct DenseLayer {
  std::int64_t k;
  std::int64_t n;
  float const* weight;
  float const* bias;
  Unary epilogue;
};

/// Up to kMaxLayers layers applied in order; the widths between layers are at most kMaxWidth.
struct DenseChain {
  static constexpr int kMaxLayers = 8;
  int count = 0;
  DenseLayer layer[kMaxLayers] = {};
};

/// The chain of `layers` (at most DenseChain::kMaxLayers), in order.
template <class... Layers> DenseChain dense_chain(Layers const&... layers) {
  static_assert(sizeof...(Layers) >= 1 && sizeof...(Layers) <= DenseChain::kMaxLayers, "1 to kMaxLayers layers");
  DenseChain chain;
  for (DenseLayer const& layer : {layers...}) chain.layer[chain.count++] = layer;
  return chain;
}

struct DenseKernel {
  static constexpr std::int64_t kTileRows = 16;
  static constexpr std::int64_t kMaxWidth = 256;

  /// Launch over work_items(rows) items: tiles of kTileRows rows on CPUs, rows on GPUs.
  template <class TAcc> static constexpr std::int64_t work_items(std::int64_t rows) {
    return compat::is_gpu<TAcc>() ? rows : (rows + kTileRows - 1) / kTileRows;
  }

  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t items, std::int64_t rows, In x, Out y,
                                DenseChain chain) const {
    if constexpr (compat::is_gpu<TAcc>()) {
      compat::for_each_element(acc, items, [&](std::int64_t m) { by_row(acc, m, x, y, chain); });
    } else {
#if !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)  // the SIMD tiles are host code
      compat::for_each_element(acc, items, [&](std::int64_t tile) {
        const std::int64_t first = tile * kTileRows;
        const std::int64_t count = rows - first < kTileRows ? rows - first : kTileRows;
        if (chain.layer[0].k > kMaxWidth) {
          for (std::int64_t m = first; m < first + count; ++m) by_row(acc, m, x, y, chain);
        } else {
          tiled(acc, first, count, x, y, chain);
        }
      });
#endif
    }
  }

 private:
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC static void by_row(TAcc const& acc, std::int64_t m, In const& x, Out const& y,
                                   DenseChain const& chain) {
    float buffer[2][kMaxWidth];
    for (int l = 0; l < chain.count; ++l) {
      DenseLayer const& layer = chain.layer[l];
      float const* in = buffer[(l + 1) % 2];
      for (std::int64_t j = 0; j < layer.n; ++j) {
        float const* w = layer.weight + j * layer.k;
        float sum = 0.f;
        for (std::int64_t k = 0; k < layer.k; ++k) sum += (l == 0 ? x.at(m, k) : in[k]) * w[k];
        if (layer.bias) sum += layer.bias[j];
        const float v = layer.epilogue(acc, sum);
        if (l + 1 == chain.count) {
          y.set(m, j, v);
        } else {
          buffer[l % 2][j] = v;
        }
      }
    }
  }

  /// kTileRows floats, one per row of a tile: the GNU vector extension (g++, clang, nvcc host code) makes the
  /// compiler keep each in a register and use SIMD for every operation on it.
  typedef float Lanes __attribute__((vector_size(kTileRows * sizeof(float))));

  template <class TAcc, class In, class Out>
  ALPAKA_FN_HOST static void tiled(TAcc const& acc, std::int64_t first, std::int64_t count, In const& x,
                                  Out const& y, DenseChain const& chain) {
    Lanes buffer[2][kMaxWidth];  // rows beyond `count` are zero: every tile takes the same code path
    for (std::int64_t k = 0; k < chain.layer[0].k; ++k) {
      float column[kTileRows] = {};
      x.column(first, count, k, column);
      for (std::int64_t r = 0; r < kTileRows; ++r) buffer[0][k][r] = column[r];
    }
    for (int l = 0; l < chain.count; ++l) {
      DenseLayer const& layer = chain.layer[l];
      Lanes const* in = buffer[l % 2];
      Lanes* out = buffer[(l + 1) % 2];
      const bool last = l + 1 == chain.count;
      std::int64_t j = 0;
      for (; j + kBlock <= layer.n; j += kBlock) block<kBlock>(acc, y, first, count, layer, j, in, last, out);
      for (; j < layer.n; ++j) block<1>(acc, y, first, count, layer, j, in, last, out);
    }
  }

  static constexpr std::int64_t kBlock = 8;  ///< outputs computed together: kBlock independent sums per lane

  /// Outputs [j, j + B) of the tile, each summed over k in order in its own lanes.
  template <std::int64_t B, class TAcc, class Out>
  ALPAKA_FN_HOST static void block(TAcc const& acc, Out const& y, std::int64_t first, std::int64_t count,
                                  DenseLayer const& layer, std::int64_t j, Lanes const* in, bool last, Lanes* out) {
    Lanes sum[B] = {};
    float const* w = layer.weight + j * layer.k;
    for (std::int64_t k = 0; k < layer.k; ++k) {
      const Lanes x = in[k];
      for (std::int64_t b = 0; b < B; ++b) sum[b] += x * w[b * layer.k + k];
    }
    for (std::int64_t b = 0; b < B; ++b) finish(acc, y, first, count, layer, j + b, sum[b], last, out);
  }

  /// Output j of the tile: bias and epilogue (on all lanes at once where arithmetic: identity, ReLU; lane by lane
  /// otherwise), then stored through `y` for the last layer, else kept in `out` for the next.
  template <class TAcc, class Out>
  ALPAKA_FN_HOST static void finish(TAcc const& acc, Out const& y, std::int64_t first, std::int64_t count,
                                   DenseLayer const& layer, std::int64_t j, Lanes sum, bool last, Lanes* out) {
    if (layer.bias) sum += layer.bias[j];
    if (layer.epilogue.kind == UnaryKind::relu) {
      sum = sum > 0.f ? sum : Lanes{};
    } else if (layer.epilogue.kind != UnaryKind::identity) {
      for (std::int64_t r = 0; r < kTileRows; ++r) sum[r] = layer.epilogue(acc, sum[r]);
    }
    if (last) {
      for (std::int64_t r = 0; r < count; ++r) y.set(first + r, j, sum[r]);
    } else {
      out[j] = sum;
    }
  }
};

}  // namespace sofie_soa::kernels
