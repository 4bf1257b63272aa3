// Unit tests of the kernel templates (sofie_soa/kernels/*.hpp) on the CPU accelerators, against references
// computed here: accessors and dtype conversion, the dense layer reading mixed SoA features in place, unary,
// broadcasting binary, Softmax/LogSoftmax, Transpose and Concat copies.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "sofie_soa/kernels.hpp"

using namespace sofie_soa;
using kernels::FeatureRef;

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};

  void accessors() {
    CHECK(kernels::half_to_float(0x3c00) == 1.f && kernels::half_to_float(0xc000) == -2.f);
    CHECK(kernels::half_to_float(0x0001) == std::ldexp(1.f, -24) && std::isinf(kernels::half_to_float(0x7c00)));
    std::uint8_t u8[2] = {};
    double f64[2] = {};
    FeatureRef out[2] = {{reinterpret_cast<std::byte*>(u8), 1, DType::uint8},
                         {reinterpret_cast<std::byte*>(f64), 1, DType::float64}};
    kernels::StridedOut{out, 2}.set(1, 0, 200.f);
    kernels::StridedOut{out, 2}.set(1, 1, 0.25f);
    CHECK(u8[1] == 200 && f64[1] == 0.25);
  }

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
                         kernels::StridedIn{in, 4}, kernels::DenseOut{y.data(), 2}, chain);
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
                         kernels::DenseIn{x.data(), 3}, kernels::DenseOut{y.data(), 1}, chain);
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
                           kernels::DenseIn{x.data(), widths[0]}, kernels::DenseOut{y, out_width}, chain);
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
                           kernels::DenseIn{x.data(), k}, kernels::DenseOut{y.data(), n_dim}, chain);
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

  float unary(kernels::UnaryKind kind, float x, float alpha = 0.f, float beta = 0.f) {
    float out = 0.f;
    compat::launch<TAcc>(queue, 1, kernels::UnaryKernel{}, kernels::DenseIn{&x, 1}, kernels::DenseOut{&out, 1},
                         kernels::Unary{kind, alpha, beta});
    alpaka::wait(queue);
    return out;
  }

  void unaries() {
    using K = kernels::UnaryKind;
    auto close = [](float a, double b) { return std::abs(a - b) <= 1e-6 * (1 + std::abs(b)); };
    CHECK(unary(K::relu, -2.f) == 0.f && unary(K::relu, 3.f) == 3.f);
    CHECK(close(unary(K::leaky_relu, -2.f, 0.01f), -0.02));
    CHECK(close(unary(K::elu, -1.f, 1.f), std::exp(-1.0) - 1));
    CHECK(close(unary(K::selu, -1.f, 1.67326f, 1.0507f), 1.0507 * 1.67326 * (std::exp(-1.0) - 1)));
    CHECK(close(unary(K::sigmoid, 0.5f), 1 / (1 + std::exp(-0.5))));
    CHECK(close(unary(K::hard_sigmoid, 1.f, 0.2f, 0.5f), 0.7) && unary(K::hard_sigmoid, 10.f, 0.2f, 0.5f) == 1.f);
    CHECK(close(unary(K::tanh, 0.3f), std::tanh(0.3)));
    CHECK(close(unary(K::softplus, 2.f), std::log1p(std::exp(2.0))) && close(unary(K::softplus, 100.f), 100.0));
    CHECK(close(unary(K::exp, 1.f), std::exp(1.0)) && close(unary(K::log, 2.f), std::log(2.0)));
    CHECK(close(unary(K::sqrt, 2.f), std::sqrt(2.0)) && unary(K::abs, -3.f) == 3.f && unary(K::neg, 3.f) == -3.f);
    CHECK(unary(K::clip, 5.f, -1.f, 1.f) == 1.f && unary(K::clip, -5.f, -1.f, 1.f) == -1.f);
  }

  void binary() {
    const float a[6] = {1, 2, 3, 4, 5, 6};  // [2, 3]
    const float b[3] = {10, 20, 40};        // [3], broadcast over rows
    float y[6] = {};
    const float expect[4][6] = {{11, 22, 43, 14, 25, 46}, {-9, -18, -37, -6, -15, -34},
                                {10, 40, 120, 40, 100, 240}, {0.1f, 0.1f, 0.075f, 0.4f, 0.25f, 0.15f}};
    const kernels::BinaryKind kinds[4] = {kernels::BinaryKind::add, kernels::BinaryKind::sub,
                                          kernels::BinaryKind::mul, kernels::BinaryKind::div};
    for (int k = 0; k < 4; ++k) {
      compat::launch<TAcc>(queue, 6, kernels::BinaryKernel{}, kernels::DenseIn{a, 3}, kernels::DenseIn{b, 3},
                           kernels::DenseOut{y, 3}, kernels::broadcast_map({2, 3}, {2, 3}, {3}), kinds[k]);
      alpaka::wait(queue);
      bool same = true;
      for (int i = 0; i < 6; ++i) same = same && y[i] == expect[k][i];
      CHECK(same);
    }
    EXPECT_THROWS(kernels::broadcast_map({2, 3}, {2, 3}, {2}), std::invalid_argument, "cannot broadcast extent 2");
  }

  void softmax() {
    const float x[6] = {1, 2, 3, -1, 0, 1};  // [2, 3], softmax over the last axis
    float y[6] = {}, logy[6] = {};
    compat::launch<TAcc>(queue, 2, kernels::SoftmaxKernel{}, kernels::DenseIn{x, 3}, kernels::DenseOut{y, 3},
                         std::int64_t{3}, std::int64_t{1}, false);
    compat::launch<TAcc>(queue, 2, kernels::SoftmaxKernel{}, kernels::DenseIn{x, 3}, kernels::DenseOut{logy, 3},
                         std::int64_t{3}, std::int64_t{1}, true);
    alpaka::wait(queue);
    const double denominator = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    for (int i = 0; i < 6; ++i) {
      const double expect = std::exp(x[i] - (i < 3 ? 0.0 : -2.0)) / denominator;
      CHECK(std::abs(y[i] - expect) < 1e-6 && std::abs(logy[i] - std::log(expect)) < 1e-6);
    }
  }

  void copies() {
    const float x[6] = {1, 2, 3, 4, 5, 6};  // [2, 3]
    float t[6] = {};
    compat::launch<TAcc>(queue, 6, kernels::CopyKernel{}, kernels::DenseIn{x, 3}, kernels::DenseOut{t, 2},
                         kernels::transpose_map({2, 3}, {1, 0}));
    const float a[2] = {7, 8};  // [2, 1] and x[:, :2] as [2, 2] → concat on axis 1: [2, 3]
    const float b[4] = {1, 2, 4, 5};
    float c[6] = {};
    compat::launch<TAcc>(queue, 2, kernels::CopyKernel{}, kernels::DenseIn{a, 1}, kernels::DenseOut{c, 3},
                         kernels::concat_map(2, 1, 3, 0));
    compat::launch<TAcc>(queue, 4, kernels::CopyKernel{}, kernels::DenseIn{b, 2}, kernels::DenseOut{c, 3},
                         kernels::concat_map(2, 2, 3, 1));
    alpaka::wait(queue);
    const float expect_t[6] = {1, 4, 2, 5, 3, 6};
    const float expect_c[6] = {7, 1, 2, 8, 4, 5};
    bool same = true;
    for (int i = 0; i < 6; ++i) same = same && t[i] == expect_t[i] && c[i] == expect_c[i];
    CHECK(same);
  }

  void run() {
    accessors();
    dense();
    dense_wide();
    dense_chain();
    dense_paths();
    unaries();
    binary();
    softmax();
    copies();
  }
};

int main() {
  Suite<compat::Acc<alpaka::TagCpuSerial>>{}.run();
#if defined(ALPAKA_ACC_CPU_B_SEQ_T_THREADS_ENABLED)
  Suite<compat::Acc<alpaka::TagCpuThreads>>{}.run();
#endif
  return TEST_MAIN_RESULT();
}
