// sofie_soa/kernels/dense.hpp — dense layers: Y[m, j] = epilogue(sum_k X[m, k] * W[k, j] + b[j] (+ R[m, j])), one layer or a
// chain of them fused into one launch (the output of each feeding the next without leaving the thread).
//
// The ONNX Gemm/MatMul attributes (alpha, beta, transA = 0, transB) are folded into W (laid out [K, N]: row k
// holds the N weights of input k, as MatMul's B) and b ([N], or none) by the compiler. X is read through an
// accessor, so the first layer reads SoA columns in place (each element converted once); Y is written through
// one, so the last layer writes output columns in place.
//
// CPU: a thread owns tiles of up to kTileRows rows.
//   - More than kLanes rows: the tile's X is loaded transposed into kTileVectors SIMD vectors per input (one
//     lane per row; a row-major float32 X is transposed in registers, 16 x 16 at a time); kBlock outputs (9-12
//     where that divides N) are summed at a time, each weight broadcast once for every vector (a register
//     block). Inputs wider than kChunk are summed in chunks that stay in L1. Hidden layers stay in the tile.
//     With a packed copy of W (DenseKernel::pack, made once when a session is built), each block reads its
//     weights as one contiguous K x B panel instead of B floats every N (wide_mlp in benchmarks/run.py: 133 ->
//     160-166 GFLOP/s).
//   - kRowwise+1 .. kLanes rows: the same with one vector per input.
//   - At most kRowwise rows (batch 1, tails): row by row with the outputs in the lanes (a row of W per input),
//     so a lone row costs K * N / kLanes vector operations instead of K * N.
// GPU, or a first layer wider than the chain's W: one row at a time. Every output's sum runs over k in order with
// fused multiply-adds, so results are bitwise identical whatever the work division.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "sofie_soa/kernels/unary.hpp"

namespace sofie_soa::kernels {

/// a * b + c as the SIMD paths compute `sum += x * w`: rounded once (a fused multiply-add) where the target has FMA
/// instructions — the compiler contracts the vector arithmetic into FMAs at -O2 and above with -ffp-contract=fast,
/// the session build's flags (runtime/build.py) — and rounded twice where it has none. Every dense sum is a chain
/// of these in k order, so a row's result does not depend on which path (tile, row in lanes, row) computed it.
/// (An explicit per-lane fmaf is not vectorised by GCC 12: three times slower.)
ALPAKA_FN_HOST_ACC inline float fused_multiply_add(float a, float b, float c) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return fmaf(a, b, c);
#elif defined(__FMA__) || defined(__aarch64__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

/// One layer: K inputs, N outputs, W [K, N] and b [N] (or nullptr), optionally a residual R [rows, N] added, then
/// the epilogue; optionally W also packed
/// (DenseKernel::pack), for CPU tiles.
struct DenseLayer {
  std::int64_t k;
  std::int64_t n;
  float const* weight;
  float const* bias;
  Unary epilogue;
  float const* packed = nullptr;
  float const* residual = nullptr;   ///< [rows, n] added after the bias, before the epilogue (a skip connection)
  std::int64_t residual_pitch = 0;   ///< elements between rows of `residual`
};

/// Where a session packs one layer's W: offsets in floats into its weight array (source [K, N], packed copy).
struct PackedLayer {
  std::int64_t weight;
  std::int64_t k;
  std::int64_t n;
  std::int64_t packed;
};

/// Up to kMaxLayers layers applied in order. W (at most DenseKernel::kMaxWidth) bounds every layer's outputs
/// and the first layer's inputs taken into a tile: the kernel's per-thread buffers hold W values per row, so the
/// generator passes the model's widest layer (rounded up to 16) — a GPU reserves that local memory for every
/// resident thread, a CPU thread that stack.
template <std::int64_t W = 1024> struct DenseChain {
  static constexpr int kMaxLayers = 8;
  int count = 0;
  DenseLayer layer[kMaxLayers] = {};
};

/// The chain of `layers` (at most kMaxLayers), in order, for widths up to W.
template <std::int64_t W = 1024, class... Layers> DenseChain<W> dense_chain(Layers const&... layers) {
  static_assert(sizeof...(Layers) >= 1 && sizeof...(Layers) <= DenseChain<W>::kMaxLayers, "1 to kMaxLayers layers");
  DenseChain<W> chain;
  for (DenseLayer const& layer : {layers...}) chain.layer[chain.count++] = layer;
  return chain;
}

struct DenseKernel {
  static constexpr std::int64_t kLanes = 16;        ///< floats per SIMD vector (one AVX-512 register)
  static constexpr std::int64_t kTileVectors = 2;   ///< vectors of rows per tile
  static constexpr std::int64_t kTileRows = kLanes * kTileVectors;
  static constexpr std::int64_t kRowwise = 4;       ///< tiles of at most this many rows run row by row
  static constexpr std::int64_t kBlock = 8;         ///< outputs summed together in a tile
  static constexpr std::int64_t kMaxWidth = 1024;   ///< the largest W of a DenseChain

  /// Writes W [k, n] (row-major) into `packed` (k * n floats) as the tiles read it: one k-major panel per block of
  /// block_width(n) outputs (the last one n % width wide), the panels in output order. Element (i, j) of block
  /// j0 is at packed[k * j0 + i * width_of_the_block + (j - j0)].
  static void pack(float const* weight, std::int64_t k, std::int64_t n, float* packed) {
    const std::int64_t width = block_width(n);
    for (std::int64_t j0 = 0; j0 < n; j0 += width) {
      const std::int64_t b = n - j0 < width ? n - j0 : width;
      for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t t = 0; t < b; ++t) packed[k * j0 + i * b + t] = weight[i * n + j0 + t];
    }
  }

  /// Launch over work_items(rows) items: tiles of kTileRows rows on CPUs, rows on GPUs.
  template <class TAcc> static constexpr std::int64_t work_items(std::int64_t rows) {
    return compat::is_gpu<TAcc>() ? rows : (rows + kTileRows - 1) / kTileRows;
  }

  template <class TAcc, class In, class Out, std::int64_t W>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t items, std::int64_t rows, In x, Out y,
                                DenseChain<W> chain) const {
    static_assert(W <= kMaxWidth, "DenseChain width beyond DenseKernel::kMaxWidth");
    if constexpr (compat::is_gpu<TAcc>()) {
      compat::for_each_element(acc, items, [&](std::int64_t m) { by_row(acc, m, x, y, chain); });
    } else {
#if !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)  // the SIMD paths are host code
      compat::for_each_element(acc, items, [&](std::int64_t tile) {
        const std::int64_t first = tile * kTileRows;
        const std::int64_t count = rows - first < kTileRows ? rows - first : kTileRows;
        if (first + kTileRows < rows)  // the next tile's inputs arrive while this one computes
          x.prefetch(first + kTileRows, rows - first - kTileRows < kTileRows ? rows - first - kTileRows : kTileRows);
        if (chain.layer[0].k > W) {
          for (std::int64_t m = first; m < first + count; ++m) by_row(acc, m, x, y, chain);
        } else if (count <= kRowwise) {
          for (std::int64_t m = first; m < first + count; ++m) row_in_lanes(acc, m, x, y, chain);
        } else if (count <= kLanes) {
          tiled<1>(acc, first, count, x, y, chain);
        } else {
          tiled<kTileVectors>(acc, first, count, x, y, chain);
        }
      });
#endif
    }
  }

 private:
  template <class TAcc, class In, class Out, std::int64_t W>
  ALPAKA_FN_ACC static void by_row(TAcc const& acc, std::int64_t m, In const& x, Out const& y,
                                   DenseChain<W> const& chain) {
    float buffer[2][W];
    for (int l = 0; l < chain.count; ++l) {
      DenseLayer const& layer = chain.layer[l];
      float const* in = buffer[(l + 1) % 2];
      for (std::int64_t j = 0; j < layer.n; ++j) {
        float sum = 0.f;
        for (std::int64_t k = 0; k < layer.k; ++k)
          sum = fused_multiply_add(l == 0 ? x.at(m, k) : in[k], layer.weight[k * layer.n + j], sum);
        store(acc, y, m, layer, j, sum, l + 1 == chain.count, buffer[l % 2]);
      }
    }
  }

  /// Bias and epilogue of output j of row m, stored through `y` for the last layer, else into `hidden`.
  template <class TAcc, class Out>
  ALPAKA_FN_ACC static void store(TAcc const& acc, Out const& y, std::int64_t m, DenseLayer const& layer,
                                  std::int64_t j, float sum, bool last, float* hidden) {
    if (layer.bias) sum += layer.bias[j];
    if (layer.residual) sum += layer.residual[m * layer.residual_pitch + j];
    const float v = layer.epilogue(acc, sum);
    if (last) {
      y.set(m, j, v);
    } else {
      hidden[j] = v;
    }
  }

  /// kLanes floats: the GNU vector extension (g++, clang, nvcc host code) makes the compiler keep each in a
  /// register and use SIMD for every operation on it.
  typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

  /// One row: kLanes outputs at a time in the lanes (B vectors of them together), the rest one by one.
  template <class TAcc, class In, class Out, std::int64_t W>
  ALPAKA_FN_HOST static void row_in_lanes(TAcc const& acc, std::int64_t m, In const& x, Out const& y,
                                         DenseChain<W> const& chain) {
    float buffer[2][W];
    for (std::int64_t k = 0; k < chain.layer[0].k; ++k) buffer[0][k] = x.at(m, k);
    for (int l = 0; l < chain.count; ++l) {
      DenseLayer const& layer = chain.layer[l];
      float const* in = buffer[l % 2];
      float* out = buffer[(l + 1) % 2];
      const bool last = l + 1 == chain.count;
      std::int64_t j = 0;
      for (; j + 4 * kLanes <= layer.n; j += 4 * kLanes) lanes_block<4>(acc, y, m, layer, j, in, last, out);
      for (; j + kLanes <= layer.n; j += kLanes) lanes_block<1>(acc, y, m, layer, j, in, last, out);
      for (; j < layer.n; ++j) {
        float sum = 0.f;
        for (std::int64_t k = 0; k < layer.k; ++k) sum = fused_multiply_add(in[k], layer.weight[k * layer.n + j], sum);
        store(acc, y, m, layer, j, sum, last, out);
      }
    }
  }

  /// Outputs [j, j + B * kLanes) of row m.
  template <int B, class TAcc, class Out>
  ALPAKA_FN_HOST static void lanes_block(TAcc const& acc, Out const& y, std::int64_t m, DenseLayer const& layer,
                                        std::int64_t j, float const* in, bool last, float* out) {
    Lanes sum[B] = {};
    for (std::int64_t k = 0; k < layer.k; ++k) {
      float const* w = layer.weight + k * layer.n + j;
      for (int b = 0; b < B; ++b) {
        Lanes wb;
        std::memcpy(&wb, w + b * kLanes, sizeof wb);
        sum[b] += in[k] * wb;
      }
    }
    for (int b = 0; b < B; ++b)
      for (std::int64_t r = 0; r < kLanes; ++r) store(acc, y, m, layer, j + b * kLanes + r, sum[b][r], last, out);
  }

  static constexpr std::int64_t kChunk = 128;  ///< inputs per k chunk: 128 x kTileVectors vectors, 16 KiB
  struct Span {
    std::int64_t begin, end;
  };

  /// One value per row of a tile of V * kLanes rows.
  template <int V> struct Rows {
    Lanes v[V];
  };

  template <int V, class TAcc, class In, class Out, std::int64_t W>
  ALPAKA_FN_HOST static void tiled(TAcc const& acc, std::int64_t first, std::int64_t count, In const& x,
                                  Out const& y, DenseChain<W> const& chain) {
    Rows<V> buffer[2][W];  // rows beyond `count` are zero: every tile takes the same code path
    std::int64_t pitch = 0;
    float const* matrix = x.row_major(pitch);
    if (kTransposes && matrix != nullptr) {
      load_transposed(matrix + first * pitch, pitch, count, chain.layer[0].k, buffer[0]);
    } else {
      for (std::int64_t k = 0; k < chain.layer[0].k; ++k) {
        float* column = reinterpret_cast<float*>(&buffer[0][k]);  // GNU vectors alias their element type
        x.column(first, count, k, column);
        for (std::int64_t r = count; r < V * kLanes; ++r) column[r] = 0.f;
      }
    }
    // A row-major output takes the last layer's tile transposed in registers (store_transposed), with the
    // residual and the epilogue applied along its rows afterwards, instead of a scatter per output.
    std::int64_t out_pitch = 0;
    float* rows_out = nullptr;
    if constexpr (kTransposes && has_row_major_out<Out>::value) {
      if (chain.layer[chain.count - 1].n <= W) rows_out = y.row_major_out(out_pitch);
    }
    for (int l = 0; l < chain.count; ++l) {
      DenseLayer const& layer = chain.layer[l];
      Rows<V> const* in = buffer[l % 2];
      Rows<V>* out = buffer[(l + 1) % 2];
      const bool last = l + 1 == chain.count && rows_out == nullptr;
      const bool defer = l + 1 == chain.count && rows_out != nullptr;
      // Wide layers run over k in chunks whose inputs stay in L1, the partial sums kept in `out` between
      // chunks (so each sum still runs over k in order); that needs N <= W.
      const std::int64_t chunk = layer.n <= W ? kChunk : layer.k;
      for (Span k{0, 0}; k.end < layer.k;) {
        k = Span{k.end, k.end + chunk < layer.k ? k.end + chunk : layer.k};
        const bool done = k.end == layer.k;
        switch (block_width(layer.n)) {
          case kBlock + 1: blocks<kBlock + 1>(acc, y, first, count, layer, k, in, last, defer, done, out); break;
          case kBlock + 2: blocks<kBlock + 2>(acc, y, first, count, layer, k, in, last, defer, done, out); break;
          case kBlock + 3: blocks<kBlock + 3>(acc, y, first, count, layer, k, in, last, defer, done, out); break;
          case kBlock + 4: blocks<kBlock + 4>(acc, y, first, count, layer, k, in, last, defer, done, out); break;
          default: blocks<kBlock>(acc, y, first, count, layer, k, in, last, defer, done, out);
        }
      }
    }
    if (rows_out != nullptr) {
      DenseLayer const& layer = chain.layer[chain.count - 1];
      float* rows = rows_out + first * out_pitch;
      store_transposed(buffer[chain.count % 2], layer.n, count, rows, out_pitch);
      for (std::int64_t r = 0; r < count; ++r) finish_row(acc, layer, first + r, rows + r * out_pitch);
    }
  }

  /// Whether an output accessor can be written as a row-major float matrix (row_major_out).
  template <class A, class = void> struct has_row_major_out : std::false_type {};
  template <class A>
  struct has_row_major_out<A, std::void_t<decltype(std::declval<A const&>().row_major_out(
                                  std::declval<std::int64_t&>()))>> : std::true_type {};

  /// Row m of a layer's output stored without its residual and epilogue: both applied along the row.
  template <class TAcc>
  ALPAKA_FN_HOST static void finish_row(TAcc const& acc, DenseLayer const& layer, std::int64_t m, float* row) {
    if (layer.residual) {
      float const* r = layer.residual + m * layer.residual_pitch;
      for (std::int64_t j = 0; j < layer.n; ++j) row[j] += r[j];
    }
    if (layer.epilogue.kind == UnaryKind::relu) {
      for (std::int64_t j = 0; j < layer.n; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];  // NaN passes through
    } else if (layer.epilogue.kind != UnaryKind::identity) {
      for (std::int64_t j = 0; j < layer.n; ++j) row[j] = layer.epilogue(acc, row[j]);
    }
  }

  /// Outputs summed together: kBlock, or up to kBlock + 4 where that divides N and kBlock does not (N = 50 in
  /// blocks of 10), so that no short block is left whose few sums wait on FMA latency.
  static constexpr std::int64_t block_width(std::int64_t n) {
    if (n % kBlock == 0) return kBlock;
    for (std::int64_t b = kBlock + 4; b > kBlock; --b)
      if (n % b == 0) return b;
    return kBlock;
  }

  /// All outputs of the layer over inputs k: blocks of B, then the last N % B as one block.
  template <std::int64_t B, int V, class TAcc, class Out>
  ALPAKA_FN_HOST static void blocks(TAcc const& acc, Out const& y, std::int64_t first, std::int64_t count,
                                   DenseLayer const& layer, Span k, Rows<V> const* in, bool last, bool defer,
                                   bool done, Rows<V>* out) {
    std::int64_t j = 0;
    for (; j + B <= layer.n; j += B) block<B>(acc, y, first, count, layer, j, k, in, last, defer, done, out);
    remainder(acc, y, first, count, layer, j, k, in, last, defer, done, out,
              std::make_integer_sequence<std::int64_t, kBlock>{});
  }

// __builtin_shufflevector: clang, GCC 12+; not through nvcc, whose front end rejects its pack-expanded form.
#if !defined(__CUDACC__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12))
  static constexpr bool kTransposes = true;

  /// Rows [0, count) of a row-major float32 matrix (`pitch` floats apart), inputs [0, k), into the tile:
  /// kLanes x kLanes blocks loaded a row per vector and transposed in registers, rather than gathered element by
  /// element. Rows beyond `count` are zero.
  template <int V>
  ALPAKA_FN_HOST static void load_transposed(float const* rows, std::int64_t pitch, std::int64_t count,
                                            std::int64_t k, Rows<V>* tile) {
    for (std::int64_t k0 = 0; k0 < k; k0 += kLanes) {
      const std::int64_t width = k - k0 < kLanes ? k - k0 : kLanes;
      for (int v = 0; v < V; ++v) {
        Lanes m[kLanes];
        for (std::int64_t r = 0; r < kLanes; ++r) {
          m[r] = Lanes{};
          if (v * kLanes + r >= count) continue;
          float const* row = rows + (v * kLanes + r) * pitch + k0;
          if (width == kLanes) {
            std::memcpy(&m[r], row, sizeof(Lanes));
          } else {
            copy_floats(&m[r], row, width);
          }
        }
        transpose<8>(m);
        transpose<4>(m);
        transpose<2>(m);
        transpose<1>(m);
        for (std::int64_t c = 0; c < width; ++c) tile[k0 + c].v[v] = m[c];
      }
    }
  }

  /// Copies `count` < kLanes floats in fixed-size moves of 8, 4, 2 and 1, which compilers inline, where a
  /// memcpy of a variable size calls the C library for a few bytes (a fifth of a small CNN's time: narrow layers
  /// and the tails of rows).
  ALPAKA_FN_HOST static void copy_floats(void* to, void const* from, std::int64_t count) {
    auto* t = static_cast<unsigned char*>(to);
    auto const* f = static_cast<unsigned char const*>(from);
    std::size_t at = 0;
    if (count & 8) std::memcpy(t + at, f + at, 8 * sizeof(float)), at += 8 * sizeof(float);
    if (count & 4) std::memcpy(t + at, f + at, 4 * sizeof(float)), at += 4 * sizeof(float);
    if (count & 2) std::memcpy(t + at, f + at, 2 * sizeof(float)), at += 2 * sizeof(float);
    if (count & 1) std::memcpy(t + at, f + at, sizeof(float));
  }

  /// The inverse of load_transposed: outputs [0, n) of the tile's rows [0, count) into a row-major float32 matrix
  /// (`pitch` floats apart), kLanes x kLanes blocks transposed in registers and stored a row per vector.
  template <int V>
  ALPAKA_FN_HOST static void store_transposed(Rows<V> const* tile, std::int64_t n, std::int64_t count, float* rows,
                                             std::int64_t pitch) {
    for (std::int64_t j0 = 0; j0 < n; j0 += kLanes) {
      const std::int64_t width = n - j0 < kLanes ? n - j0 : kLanes;
      for (int v = 0; v < V && v * kLanes < count; ++v) {
        Lanes m[kLanes];
        for (std::int64_t c = 0; c < kLanes; ++c) m[c] = c < width ? tile[j0 + c].v[v] : Lanes{};
        transpose<8>(m);
        transpose<4>(m);
        transpose<2>(m);
        transpose<1>(m);
        for (std::int64_t r = 0; r < kLanes && v * kLanes + r < count; ++r) {
          float* row = rows + (v * kLanes + r) * pitch + j0;
          if (width == kLanes) {
            std::memcpy(row, &m[r], sizeof(Lanes));
          } else {
            copy_floats(row, &m[r], width);
          }
        }
      }
    }
  }

  /// One step of a kLanes x kLanes transpose in registers: rows i and i + H swap their off-diagonal H x H blocks.
  template <int H> ALPAKA_FN_HOST static void transpose(Lanes* m) {
    for (int i = 0; i < kLanes; ++i)
      if ((i & H) == 0) swap_blocks<H>(m[i], m[i + H], std::make_index_sequence<kLanes>{});
  }
  template <int H, std::size_t... L>
  ALPAKA_FN_HOST static void swap_blocks(Lanes& a, Lanes& b, std::index_sequence<L...>) {
    const Lanes low = __builtin_shufflevector(a, b, ((L & H) == 0 ? int(L) : int(kLanes + L - H))...);
    b = __builtin_shufflevector(a, b, ((L & H) == 0 ? int(L + H) : int(kLanes + L))...);
    a = low;
  }
#else
  static constexpr bool kTransposes = false;
  template <int V> static void load_transposed(float const*, std::int64_t, std::int64_t, std::int64_t, Rows<V>*) {}
  template <int V> static void store_transposed(Rows<V> const*, std::int64_t, std::int64_t, float*, std::int64_t) {}
#endif

  /// The last N % kBlock outputs [j, N) as one block (independent sums hide the FMA latency; with blocks wider
  /// than kBlock, N divides evenly and there are none).
  template <int V, class TAcc, class Out, std::int64_t... B>
  ALPAKA_FN_HOST static void remainder(TAcc const& acc, Out const& y, std::int64_t first, std::int64_t count,
                                      DenseLayer const& layer, std::int64_t j, Span k, Rows<V> const* in, bool last,
                                      bool defer, bool done, Rows<V>* out, std::integer_sequence<std::int64_t, B...>) {
    ((layer.n - j == B && B > 0
          ? block<(B > 0 ? B : 1)>(acc, y, first, count, layer, j, k, in, last, defer, done, out)
          : void()),
     ...);
  }

  /// Outputs [j, j + B) of the tile summed over inputs [k.begin, k.end) in order, each in its own vectors,
  /// continuing the partial sums in out[j..] unless k.begin is 0; finished (`done`: k.end is K) or left there.
  template <std::int64_t B, int V, class TAcc, class Out>
  ALPAKA_FN_HOST static void block(TAcc const& acc, Out const& y, std::int64_t first, std::int64_t count,
                                  DenseLayer const& layer, std::int64_t j, Span span, Rows<V> const* in, bool last,
                                  bool defer, bool done, Rows<V>* out) {
    Rows<V> sum[B] = {};
    if (span.begin > 0)
      for (std::int64_t b = 0; b < B; ++b) sum[b] = out[j + b];
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC unroll 4  // a few percent: loads of the next inputs scheduled ahead
#endif
    for (std::int64_t k = span.begin; k < span.end; ++k) {
      Rows<V> const xk = in[k];
      float const* w = layer.packed ? layer.packed + layer.k * j + k * B : layer.weight + k * layer.n + j;
      for (std::int64_t b = 0; b < B; ++b)
        for (int v = 0; v < V; ++v) sum[b].v[v] += xk.v[v] * w[b];
    }
    for (std::int64_t b = 0; b < B; ++b) {
      if (done) {
        finish(acc, y, first, count, layer, j + b, sum[b], last, defer, out);
      } else {
        out[j + b] = sum[b];
      }
    }
  }

  /// Output j of the tile: bias, residual and epilogue (on all lanes at once where arithmetic: identity, ReLU;
  /// lane by lane otherwise), then stored through `y` for the last layer, else kept in `out` for the next; with
  /// `defer` (a row-major output: finish_row), bias only, kept in `out`. Always inlined, and
  /// the store given a copy: the block's sums must never escape (by reference into an out-of-line call, or by
  /// address into a store routine), or they live in memory instead of registers for the whole tile — GCC made
  /// both choices for accessors with a larger store path, and wide_mlp ran at half speed.
  template <int V, class TAcc, class Out>
  __attribute__((always_inline)) ALPAKA_FN_HOST static void finish(TAcc const& acc, Out const& y, std::int64_t first,
                                                                   std::int64_t count, DenseLayer const& layer,
                                                                   std::int64_t j, Rows<V>& sum, bool last,
                                                                   bool defer, Rows<V>* out) {
    for (int v = 0; v < V; ++v) {
      Lanes& s = sum.v[v];
      if (layer.bias) s += layer.bias[j];
      if (defer) continue;
      if (layer.residual)
        for (std::int64_t r = 0; r < kLanes && v * kLanes + r < count; ++r)
          s[r] += layer.residual[(first + v * kLanes + r) * layer.residual_pitch + j];
      if (layer.epilogue.kind == UnaryKind::relu) {
        s = s < 0.f ? Lanes{} : s;  // NaN passes through
      } else if (layer.epilogue.kind != UnaryKind::identity) {
        for (std::int64_t r = 0; r < kLanes; ++r) s[r] = layer.epilogue(acc, s[r]);
      }
    }
    if (last) {
      float lanes[V * kLanes];
      std::memcpy(lanes, &sum, sizeof lanes);
      y.column_store(first, count, j, lanes);
    } else {
      out[j] = sum;
    }
  }
};

}  // namespace sofie_soa::kernels
