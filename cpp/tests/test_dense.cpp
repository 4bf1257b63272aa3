// Unit tests of the dense layer (sofie_soa/kernels/dense.hpp) on the CPU accelerators, against references computed
// here: mixed SoA features read in place, wide layers, chains, and every tile path bitwise equal whatever n.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "cpu_suites.hpp"
#include "sofie_soa/kernels.hpp"

using namespace sofie_soa;
using kernels::FeatureRef;

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};

  // y = relu(x W + b), W [K, N], over features of four dtypes (to rounding: the kernel may contract into FMAs): float32 and int32 columns, a float64 column read every
  // second element (an Eigen-like stride), a broadcast float32 scalar.
  void dense() {
    const std::int64_t n = 37;
    std::vector<float> pt(n);
    std::vector<std::int32_t> hits(n);
    std::vector<double> state(2 * n);
    float b_field = 3.8f;
    for (std::int64_t i = 0; i < n; ++i) {
      pt[i] = 0.1f * static_cast<float>(i) - 1.f;
      hits[i] = static_cast<std::int32_t>(i % 7);
      state[2 * i] = 0.5 - 0.03 * static_cast<double>(i);
    }
    FeatureRef in[4] = {{reinterpret_cast<std::byte*>(pt.data()), 1, DType::float32},
                        {reinterpret_cast<std::byte*>(hits.data()), 1, DType::int32},
                        {reinterpret_cast<std::byte*>(state.data()), 2, DType::float64},
                        {reinterpret_cast<std::byte*>(&b_field), 0, DType::float32}};
    const float w[2 * 4] = {0.5f, -0.25f, 1.f, 0.1f, -1.f, 0.2f, 0.3f, -0.05f};
    const float bias[2] = {0.1f, -0.2f};
    std::vector<float> y(2 * n, -7.f);
    const auto chain = kernels::dense_chain(kernels::DenseLayer{4, 2, w, bias, kernels::Unary{kernels::UnaryKind::relu}});
    compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                         kernels::StridedIn<float>{in, {4, n}, 4}, kernels::DenseOut<float>{y.data(), 2}, chain);
    alpaka::wait(queue);
    bool same = true;
    for (std::int64_t i = 0; i < n; ++i)
      for (int j = 0; j < 2; ++j) {
        const float x[4] = {pt[i], static_cast<float>(hits[i]), static_cast<float>(state[2 * i]), b_field};
        float sum = 0.f;
        for (int k = 0; k < 4; ++k) sum += x[k] * w[k * 2 + j];
        sum += bias[j];
        same = same && std::abs(y[i * 2 + j] - (sum > 0.f ? sum : 0.f)) <= 1e-6f * (1 + std::abs(sum));
      }
    CHECK(same);
  }

  // A chain of two layers in one launch (the hidden layer never leaves the thread): ReLU then sigmoid.
  void dense_chain() {
    const std::int64_t n = 21;
    std::vector<float> x(n * 3), y(n, -1.f);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.5f - 1.f;
    const float w1[5 * 3] = {1, -1, 0.5f, 0.2f, 0.3f, -0.4f, -1, 1, 1, 0.7f, 0, -0.2f, 0.1f, 0.1f, 0.1f};
    const float b1[5] = {0.1f, -0.1f, 0, 0.2f, 0};
    const float w2[5] = {0.5f, -0.25f, 1, 0.75f, -1};
    const auto chain =
        kernels::dense_chain(kernels::DenseLayer{3, 5, w1, b1, kernels::Unary{kernels::UnaryKind::relu}},
                             kernels::DenseLayer{5, 1, w2, nullptr, kernels::Unary{kernels::UnaryKind::sigmoid}});
    compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                         kernels::DenseIn<float>{x.data(), 3}, kernels::DenseOut<float>{y.data(), 1}, chain);
    alpaka::wait(queue);
    bool close = true;
    for (std::int64_t i = 0; i < n; ++i) {
      double out = 0;
      for (int j = 0; j < 5; ++j) {
        double h = b1[j];
        for (int k = 0; k < 3; ++k) h += static_cast<double>(x[i * 3 + k]) * w1[k * 5 + j];
        out += (h > 0 ? h : 0) * w2[j];
      }
      close = close && std::abs(y[i] - 1 / (1 + std::exp(-out))) < 1e-6;
    }
    CHECK(close);
  }

  // Every CPU path of the chain — rows in lanes (1 to kRowwise rows), tiles of one vector and of kTileVectors,
  // inputs transposed in registers (a row-major matrix) — over widths that take every output blocking: 307
  // (wider than 256, so summed in k chunks; blocks of 8 and a remainder of 3; 4 and 1 vectors of outputs row by
  // row), 50, 36, 33, 27 (blocks of 10, 12, 11, 9) and 5 (a remainder only). Each row's result is bitwise the same
  // whatever n (so whatever path computed it), with weights packed (DenseKernel::pack) or not, and close to a
  // double-precision reference.
  void dense_paths() {
    const std::vector<std::int64_t> widths = {7, 19 * kernels::DenseKernel::kLanes + 3, 50, 36, 33, 27, 5};
    const std::int64_t rows = 70, layers = static_cast<std::int64_t>(widths.size()) - 1, out_width = widths.back();
    std::vector<float> x(rows * widths[0]), full(rows * out_width);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 11) * 0.3f - 1.5f;
    std::vector<std::vector<float>> w(layers), b(layers);
    kernels::DenseChain<> chain;
    for (std::int64_t l = 0; l < layers; ++l) {
      w[l].resize(widths[l] * widths[l + 1]);
      b[l].resize(widths[l + 1]);
      for (std::size_t i = 0; i < w[l].size(); ++i)
        w[l][i] = (static_cast<float>((i * 7 + l) % 9) - 4.f) / static_cast<float>(widths[l]);
      for (std::size_t i = 0; i < b[l].size(); ++i) b[l][i] = static_cast<float>(i % 3) * 0.05f;
      const auto kind = l + 1 == layers ? kernels::UnaryKind::tanh : kernels::UnaryKind::relu;
      chain.layer[chain.count++] =
          kernels::DenseLayer{widths[l], widths[l + 1], w[l].data(), b[l].data(), kernels::Unary{kind}};
    }
    auto infer = [&](std::int64_t n, float* y) {
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                           kernels::DenseIn<float>{x.data(), widths[0]}, kernels::DenseOut<float>{y, out_width}, chain);
      alpaka::wait(queue);
    };
    infer(rows, full.data());
    bool close = true;
    for (std::int64_t i = 0; i < rows; ++i) {
      std::vector<double> h(x.begin() + i * widths[0], x.begin() + (i + 1) * widths[0]);
      for (std::int64_t l = 0; l < layers; ++l) {
        std::vector<double> next(b[l].begin(), b[l].end());
        for (std::int64_t k = 0; k < widths[l]; ++k)
          for (std::int64_t j = 0; j < widths[l + 1]; ++j) next[j] += h[k] * w[l][k * widths[l + 1] + j];
        for (double& v : next) v = l + 1 == layers ? std::tanh(v) : (v > 0 ? v : 0);
        h = next;
      }
      for (std::int64_t o = 0; o < out_width; ++o) close = close && std::abs(full[i * out_width + o] - h[o]) < 1e-5;
    }
    CHECK(close);
    bool same = true;
    for (std::int64_t n : {1, 3, 4, 5, 16, 17, 33}) {
      std::vector<float> y(n * out_width);
      infer(n, y.data());
      same = same && std::memcmp(y.data(), full.data(), y.size() * sizeof(float)) == 0;
    }
    CHECK(same);
    std::vector<std::vector<float>> packed(layers);
    for (std::int64_t l = 0; l < layers; ++l) {
      packed[l].assign(w[l].size(), 0.f);
      kernels::DenseKernel::pack(w[l].data(), widths[l], widths[l + 1], packed[l].data());
      chain.layer[l].packed = packed[l].data();
    }
    for (std::int64_t n : std::initializer_list<std::int64_t>{1, 5, 17, 33, rows}) {
      std::vector<float> y(n * out_width);
      infer(n, y.data());
      same = same && std::memcmp(y.data(), full.data(), y.size() * sizeof(float)) == 0;
    }
    CHECK(same);
  }

  // Wide layers: K beyond the tiled limit (read in place), N not a multiple of the column tile, no bias.
  void dense_wide() {
    const std::int64_t n = 11, k_dim = kernels::DenseKernel::kMaxWidth + 3, n_dim = 7;
    std::vector<float> x(n * k_dim), w(n_dim * k_dim), y(n * n_dim);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 13) * 0.25f - 1.f;
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) * 0.125f - 0.375f;
    for (std::int64_t k : {k_dim, std::int64_t{5}}) {
      const auto chain = kernels::dense_chain(kernels::DenseLayer{k, n_dim, w.data(), nullptr, kernels::Unary{}});
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                           kernels::DenseIn<float>{x.data(), k}, kernels::DenseOut<float>{y.data(), n_dim}, chain);
      alpaka::wait(queue);
      bool same = true;
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n_dim; ++j) {
          float sum = 0.f;
          for (std::int64_t kk = 0; kk < k; ++kk) sum += x[i * k + kk] * w[kk * n_dim + j];
          same = same && std::abs(y[i * n_dim + j] - sum) <= 1e-5f * (1 + std::abs(sum));
        }
      CHECK(same);
    }
  }

  // A residual R [rows, N] added before the last layer's epilogue: y = relu(relu(x W1 + b1) W2 + b2 + R), through
  // a row-major output (transposed store, then residual and epilogue along rows) and through output features
  // (column stores), which must agree bitwise, at row counts of every path.
  void dense_residual() {
    const std::int64_t rows = 70, k = 6, h = 40;
    std::vector<float> x(rows * k), w1(k * h), b1(h), w2(h * h), b2(h), r(rows * h);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 11) * 0.3f - 1.5f;
    for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = (static_cast<float>(i % 9) - 4.f) / 6.f;
    for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = (static_cast<float>((i * 5) % 7) - 3.f) / 40.f;
    for (std::size_t i = 0; i < b1.size(); ++i) b1[i] = b2[i] = static_cast<float>(i % 3) * 0.05f - 0.05f;
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
    kernels::DenseLayer last{h, h, w2.data(), b2.data(), kernels::Unary{kernels::UnaryKind::relu}};
    last.residual = r.data();
    last.residual_pitch = h;
    const auto chain =
        kernels::dense_chain(kernels::DenseLayer{k, h, w1.data(), b1.data(), kernels::Unary{kernels::UnaryKind::relu}},
                             last);
    bool close = true, same = true;
    for (std::int64_t n : std::initializer_list<std::int64_t>{1, 3, 5, 16, 17, 33, rows}) {
      std::vector<float> matrix(n * h, -7.f), columns(n * h, -7.f);
      std::vector<FeatureRef> features(h);
      for (std::int64_t j = 0; j < h; ++j)
        features[j] = FeatureRef{reinterpret_cast<std::byte*>(columns.data() + j * n), 1, DType::float32};
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                           kernels::DenseIn<float>{x.data(), k}, kernels::DenseOut<float>{matrix.data(), h}, chain);
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(n), kernels::DenseKernel{}, n,
                           kernels::DenseIn<float>{x.data(), k},
                           kernels::StridedOut<float>{features.data(), {h, n}, h}, chain);
      alpaka::wait(queue);
      for (std::int64_t i = 0; i < n; ++i) {
        std::vector<double> hidden(b1.begin(), b1.end()), out(b2.begin(), b2.end());
        for (std::int64_t kk = 0; kk < k; ++kk)
          for (std::int64_t j = 0; j < h; ++j) hidden[j] += x[i * k + kk] * w1[kk * h + j];
        for (double& v : hidden) v = v > 0 ? v : 0;
        for (std::int64_t kk = 0; kk < h; ++kk)
          for (std::int64_t j = 0; j < h; ++j) out[j] += hidden[kk] * w2[kk * h + j];
        for (std::int64_t j = 0; j < h; ++j) {
          const double want = std::max(0.0, out[j] + r[i * h + j]);
          close = close && std::abs(matrix[i * h + j] - want) < 1e-5;
          same = same && matrix[i * h + j] == columns[j * n + i];
        }
      }
    }
    CHECK(close);
    CHECK(same);
  }

  // A 1 x 1 convolution: X [B, C, S] read channels first and Y [B, M, S] written channels first equal, bitwise,
  // the same chain over the transposed row-major matrices, for S that do and do not divide a tile (rows of one
  // tile span images) and for every tile path (B * S from 1 to many tiles).
  void dense_channels_first() {
    const std::int64_t c = 5, m = 12;
    std::vector<float> w(c * m), w2(m * m), b(m);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
    for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = std::cos(0.21f * static_cast<float>(i));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.1f * static_cast<float>(i) - 0.5f;
    const auto chain = kernels::dense_chain<16>(
        kernels::DenseLayer{c, m, w.data(), b.data(), kernels::Unary{kernels::UnaryKind::relu}},
        kernels::DenseLayer{m, m, w2.data(), nullptr, kernels::Unary{kernels::UnaryKind::identity}});
    bool same = true;
    for (auto [images, sites] : std::initializer_list<std::pair<std::int64_t, std::int64_t>>{
             {1, 1}, {1, 3}, {2, 5}, {3, 7}, {2, 64}, {5, 13}, {4, 40}}) {
      const std::int64_t rows = images * sites;
      std::vector<float> x(rows * c), rows_x(rows * c), y(rows * m, -7.f), rows_y(rows * m, -7.f);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * static_cast<float>(i));
      for (std::int64_t i = 0; i < images; ++i)
        for (std::int64_t k = 0; k < c; ++k)
          for (std::int64_t s = 0; s < sites; ++s) rows_x[(i * sites + s) * c + k] = x[(i * c + k) * sites + s];
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(rows), kernels::DenseKernel{}, rows,
                           kernels::ChannelsFirstIn<float>{x.data(), c, sites},
                           kernels::ChannelsFirstOut<float>{y.data(), m, sites}, chain);
      compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(rows), kernels::DenseKernel{}, rows,
                           kernels::DenseIn<float>{rows_x.data(), c}, kernels::DenseOut<float>{rows_y.data(), m}, chain);
      alpaka::wait(queue);
      for (std::int64_t i = 0; i < images; ++i)
        for (std::int64_t j = 0; j < m; ++j)
          for (std::int64_t s = 0; s < sites; ++s)
            same = same && y[(i * m + j) * sites + s] == rows_y[(i * sites + s) * m + j];
      // element access (the GPU path) agrees with the column runs
      const kernels::ChannelsFirstIn<float> in{x.data(), c, sites};
      for (std::int64_t r = 0; r < rows; ++r) same = same && in.at(r, c - 1) == rows_x[r * c + c - 1];
    }
    CHECK(same);
  }

  void run() {
    dense_residual();
    dense();
    dense_wide();
    dense_chain();
    dense_paths();
    dense_channels_first();
  }
};

int main() { return sofie_soa_test::run_on_cpu_accelerators<Suite>(); }
