// Unit tests of the element-wise kernel library on the CPU accelerators, against references computed here:
// element types and conversions (types.hpp), the accessors over SoA features (accessors.hpp), index maps, the
// map kernel with unary and binary functors (ONNX semantics, NaN, integer corner cases), Softmax/Hardmax, Pad's
// reflect/edge/wrap and the contraction kernel (MatMul, a trace).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "check.hpp"
#include "cpu_suites.hpp"
#include "sofie_soa/kernels.hpp"

using namespace sofie_soa;
using kernels::FeatureRef;
using kernels::IndexMap;

namespace fn = kernels::fn;

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};

  void types() {
    using kernels::cast;
    using kernels::saturate;
    CHECK(kernels::half_to_float(0x3c00) == 1.f && kernels::half_to_float(0xc000) == -2.f);
    CHECK(kernels::half_to_float(0x0001) == std::ldexp(1.f, -24) && std::isinf(kernels::half_to_float(0x7c00)));
    bool round_trip = true;  // every finite half survives float and back
    for (std::uint32_t h = 0; h < 0x10000; ++h)
      if ((h & 0x7c00) != 0x7c00) round_trip = round_trip && kernels::float_to_half(kernels::half_to_float(h)) == h;
    CHECK(round_trip);
    CHECK(kernels::float_to_half(1.f + std::ldexp(1.f, -11)) == 0x3c00);  // halfway: to even
    CHECK(kernels::float_to_half(70000.f) == 0x7c00 && kernels::float_to_half(-1e-9f) == 0x8000);
    // ONNX Cast: truncation toward zero, saturation where ONNX is undefined, NaN -> 0, wrap between integers.
    CHECK(cast<std::int32_t>(-2.7f) == -2 && cast<std::uint8_t>(300.0) == 255 && cast<std::int8_t>(NAN) == 0);
    CHECK(cast<std::int8_t>(std::int32_t{300}) == 44 && cast<bool>(0.5f) && !cast<bool>(0.f) && cast<bool>(NAN));
    CHECK(cast<std::int64_t>(1e30) == std::numeric_limits<std::int64_t>::max());
    // Saturation (a caller's column, with cast="saturate"): round half to even, clamp, NaN -> 0.
    CHECK(saturate<std::uint8_t>(-1.f) == 0 && saturate<std::uint8_t>(300.f) == 255 && saturate<std::uint8_t>(NAN) == 0);
    CHECK(saturate<std::int32_t>(2.5) == 2 && saturate<std::int32_t>(3.5) == 4 && saturate<std::int32_t>(-2.5) == -2);
    CHECK(!saturate<bool>(NAN) && !saturate<bool>(0.4f) && saturate<bool>(0.6f) && !saturate<bool>(std::int32_t{-3}));
    CHECK(saturate<std::int8_t>(std::int64_t{-1000}) == -128 && saturate<std::uint16_t>(std::int32_t{-5}) == 0);
    CHECK(saturate<std::int16_t>(std::uint64_t{1} << 40) == 32767 && saturate<float>(std::int64_t{3}) == 3.f);
    CHECK(saturate<std::uint64_t>(1e20) == std::numeric_limits<std::uint64_t>::max());
    CHECK(saturate<std::int64_t>(std::int64_t{(1LL << 40) + 1}) == (1LL << 40) + 1);  // exact where lossless
    CHECK(lossless(DType::int32, DType::float32) && lossless(DType::float64, DType::float32) &&
          lossless(DType::uint8, DType::int16) && !lossless(DType::float32, DType::int64) &&
          !lossless(DType::int32, DType::boolean) && !lossless(DType::int64, DType::int32));
  }

  void accessors() {
    // A [2, n, 3] input bound with the row axis in the middle: features (outer, inner) = 6, rows n = 4.
    std::vector<double> memory(2 * 4 * 3);
    for (std::size_t i = 0; i < memory.size(); ++i) memory[i] = static_cast<double>(i);
    FeatureRef features[6];
    for (int o = 0; o < 2; ++o)
      for (int i = 0; i < 3; ++i)
        features[o * 3 + i] = {reinterpret_cast<std::byte*>(memory.data() + o * 12 + i), 3, DType::float64};
    const kernels::StridedIn<float> in{features, {3, 4}, 3};
    bool same = true;
    for (std::int64_t flat = 0; flat < 24; ++flat) same = same && in[flat] == static_cast<float>(flat);
    CHECK(same);
    std::uint8_t u8[2] = {};
    double f64[2] = {};
    FeatureRef out[2] = {{reinterpret_cast<std::byte*>(u8), 1, DType::uint8},
                         {reinterpret_cast<std::byte*>(f64), 1, DType::float64}};
    const kernels::StridedOut<float> columns{out, {2, 2}, 2};
    columns.set(1, 0, 200.f);
    columns.set(1, 1, 0.25f);
    columns.set(0, 0, -3.f);  // saturated: below uint8
    CHECK(u8[1] == 200 && u8[0] == 0 && f64[1] == 0.25);
  }

  template <class T, class Op, class... Ins>
  std::vector<T> map(std::vector<std::int64_t> const& shape, Op op, Ins const&... ins) {
    std::int64_t count = 1;
    for (auto d : shape) count *= d;
    std::unique_ptr<T[]> out(new T[static_cast<std::size_t>(count)]());  // (std::vector<bool> has no data())
    IndexMap<sizeof...(Ins) + 1> m;
    m.rank = 1;
    m.extent[0] = count;
    for (int t = 0; t <= static_cast<int>(sizeof...(Ins)); ++t) m.stride[t][0] = 1;
    compat::launch<TAcc>(queue, count, kernels::MapKernel{}, m, op, kernels::DenseOut<T>{out.get()},
                         kernels::DenseIn<typename Ins::value_type>{ins.data()}...);
    alpaka::wait(queue);
    return std::vector<T>(out.get(), out.get() + count);
  }

  void functors() {
    const std::vector<float> x = {-2.f, -0.f, 0.5f, 3.f, NAN};
    auto relu = map<float>({5}, fn::Relu{}, x);
    CHECK(relu[0] == 0.f && relu[2] == 0.5f && relu[3] == 3.f && std::isnan(relu[4]));
    auto leaky = map<float>({5}, fn::LeakyRelu{0.1}, x);
    CHECK(std::abs(leaky[0] + 0.2f) < 1e-7f && std::isnan(leaky[4]));
    auto clip = map<float>({5}, fn::Clip{-1.0, 1.0}, x);
    CHECK(clip[0] == -1.f && clip[3] == 1.f && clip[2] == 0.5f && std::isnan(clip[4]));
    auto gelu = map<float>({5}, fn::Gelu{false}, x);
    CHECK(std::abs(gelu[3] - 3.f * 0.5f * (1.f + std::erf(3.f / std::sqrt(2.f)))) < 1e-6f);
    auto isnan = map<bool>({5}, fn::IsNaN{}, x);
    CHECK(!isnan[0] && isnan[4]);
    // Pow: exponent 2 squares (exactly pow's result), any other exponent calls pow
    const std::vector<float> base = {-3.f, 0.1f, 1e20f, NAN}, two(4, 2.f), half(4, 0.5f);
    auto square = map<float>({4}, fn::Pow{}, base, two);
    auto root = map<float>({4}, fn::Pow{}, std::vector<float>{4.f, 2.f, 0.f, 9.f}, half);
    CHECK(square[0] == 9.f && square[1] == static_cast<float>(std::pow(static_cast<double>(0.1f), 2.0)) &&
          std::isinf(square[2]) && std::isnan(square[3]));
    CHECK(root[0] == 2.f && root[1] == std::sqrt(2.f) && root[2] == 0.f && root[3] == 3.f);
    auto round = map<float>({4}, fn::Round{}, std::vector<float>{0.5f, 1.5f, -2.5f, 2.6f});
    CHECK(round[0] == 0.f && round[1] == 2.f && round[2] == -2.f && round[3] == 3.f);
    // Integer corner cases: no undefined behaviour.
    const std::vector<std::int32_t> a = {7, -7, std::numeric_limits<std::int32_t>::min(), 5};
    const std::vector<std::int32_t> b = {2, 2, -1, 0};
    auto div = map<std::int32_t>({4}, fn::Div{}, a, b);
    CHECK(div[0] == 3 && div[1] == -3 && div[2] == std::numeric_limits<std::int32_t>::min() && div[3] == 0);
    auto mod = map<std::int32_t>({4}, fn::Mod{false}, a, b);
    auto fmod = map<std::int32_t>({4}, fn::Mod{true}, a, b);
    CHECK(mod[0] == 1 && mod[1] == 1 && fmod[1] == -1 && mod[3] == 0);
    auto add = map<std::int32_t>({4}, fn::Add{}, a, a);
    CHECK(add[2] == 0 && add[0] == 14);  // INT_MIN + INT_MIN wraps to 0
    const std::vector<std::uint16_t> big = {65535, 2};
    auto mul = map<std::uint16_t>({2}, fn::Mul{}, big, big);
    CHECK(mul[0] == 1 && mul[1] == 4);  // wraps modulo 2^16 (no int promotion overflow)
    auto neg = map<std::int32_t>({4}, fn::Neg{}, a);
    CHECK(neg[2] == std::numeric_limits<std::int32_t>::min() && neg[0] == -7);
    const std::vector<std::uint8_t> bits = {1, 255};
    auto shifted = map<std::uint8_t>({2}, fn::BitShift{true}, bits, std::vector<std::uint8_t>{3, 8});
    CHECK(shifted[0] == 8 && shifted[1] == 0);
    // BitShift-28 on signed types: arithmetic right shifts, sign fill for negative or too large amounts.
    const std::vector<std::int8_t> signed_bits = {-8, -128, 64, -1, 5};
    const std::vector<std::int8_t> amounts = {1, 1, 1, 8, -1};
    auto right = map<std::int8_t>({5}, fn::BitShift{false}, signed_bits, amounts);
    CHECK(right[0] == -4 && right[1] == -64 && right[2] == 32 && right[3] == -1 && right[4] == 0);
    auto left = map<std::int8_t>({5}, fn::BitShift{true}, signed_bits, amounts);
    CHECK(left[0] == -16 && left[1] == 0 && left[2] == -128 && left[3] == 0 && left[4] == 0);
    // Mod-28 of floats with fmod = 0: the divisor's sign, a zero result included.
    auto fmod0 = map<float>({4}, fn::Mod{false}, std::vector<float>{5.5f, -5.5f, 4.f, -4.f},
                            std::vector<float>{-2.f, 2.f, -2.f, 2.f});
    CHECK(fmod0[0] == -0.5f && fmod0[1] == 0.5f && fmod0[2] == 0.f && std::signbit(fmod0[2]) && !std::signbit(fmod0[3]));
    auto mx = map<float>({2}, fn::Max{}, std::vector<float>{1.f, NAN}, std::vector<float>{NAN, 2.f});
    CHECK(std::isnan(mx[0]) && std::isnan(mx[1]));
    const std::vector<bool> c = {true, false};
    std::vector<std::uint8_t> cond = {1, 0};  // bool storage
    std::vector<float> w(2);
    IndexMap<4> m4;
    m4.rank = 1;
    m4.extent[0] = 2;
    for (int t = 0; t < 4; ++t) m4.stride[t][0] = 1;
    const float p[2] = {1.f, 2.f}, q[2] = {3.f, 4.f};
    compat::launch<TAcc>(queue, 2, kernels::MapKernel{}, m4, fn::Where{}, kernels::DenseOut<float>{w.data()},
                         kernels::DenseIn<bool>{reinterpret_cast<bool const*>(cond.data())}, kernels::DenseIn<float>{p},
                         kernels::DenseIn<float>{q});
    alpaka::wait(queue);
    CHECK(w[0] == 1.f && w[1] == 4.f && c[0]);
  }

  void broadcast_and_half() {
    // [2, 3] + [3] through an index map with a stride-0 dimension, into float16.
    const float a[6] = {1, 2, 3, 4, 5, 6};
    const float b[3] = {10, 20, 40};
    kernels::Half y[6] = {};
    IndexMap<3> m;
    m.rank = 2;
    m.extent[0] = 2;
    m.extent[1] = 3;
    m.stride[0][0] = 3, m.stride[0][1] = 1;
    m.stride[1][0] = 3, m.stride[1][1] = 1;
    m.stride[2][0] = 0, m.stride[2][1] = 1;
    compat::launch<TAcc>(queue, 6, kernels::MapKernel{}, m, fn::Add{}, kernels::DenseOut<kernels::Half>{y},
                         kernels::DenseIn<float>{a}, kernels::DenseIn<float>{b});
    alpaka::wait(queue);
    const float expect[6] = {11, 22, 43, 14, 25, 46};
    bool same = true;
    for (int i = 0; i < 6; ++i) same = same && kernels::half_to_float(y[i].bits) == expect[i];
    CHECK(same);
    // A transpose: out [3, 2] reads x [2, 3] with permuted strides.
    float t[6] = {};
    IndexMap<2> tm;
    tm.rank = 2;
    tm.extent[0] = 3;
    tm.extent[1] = 2;
    tm.stride[0][0] = 2, tm.stride[0][1] = 1;
    tm.stride[1][0] = 1, tm.stride[1][1] = 3;
    CHECK(tm(1, 5) == 5 && tm(0, 5) == 5 && tm.count() == 6);
    compat::launch<TAcc>(queue, 6, kernels::MapKernel{}, tm, fn::Identity{}, kernels::DenseOut<float>{t},
                         kernels::DenseIn<float>{a});
    alpaka::wait(queue);
    const float expect_t[6] = {1, 4, 2, 5, 3, 6};
    same = true;
    for (int i = 0; i < 6; ++i) same = same && t[i] == expect_t[i];
    CHECK(same);
  }

  void softmax() {
    const float x[6] = {1, 2, 3, -1, 0, 1};  // [2, 3], along the last axis
    float y[6] = {}, logy[6] = {}, hard[6] = {};
    using K = kernels::SoftmaxKind;
    for (auto [kind, out] : {std::pair{K::softmax, y}, std::pair{K::log_softmax, logy}, std::pair{K::hardmax, hard}})
      compat::launch<TAcc>(queue, 2, kernels::SoftmaxKernel{}, kernels::DenseIn<float>{x},
                           kernels::DenseOut<float>{out}, std::int64_t{3}, std::int64_t{1}, kind);
    alpaka::wait(queue);
    const double denominator = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    bool same = true;
    for (int i = 0; i < 6; ++i) {
      const double expect = std::exp(x[i] - (i < 3 ? 0.0 : -2.0)) / denominator;
      same = same && std::abs(y[i] - expect) < 1e-6 && std::abs(logy[i] - std::log(expect)) < 1e-6 &&
             hard[i] == (i % 3 == 2 ? 1.f : 0.f);
    }
    CHECK(same);
  }

  void pad() {
    const float x[3] = {1, 2, 3};  // [3] padded by 2 before, 3 after
    kernels::PadGeometry g;
    g.rank = 1;
    g.out_extent[0] = 8;
    g.in_extent[0] = 3;
    g.in_stride[0] = 1;
    g.before[0] = 2;
    const float expect[3][8] = {{3, 2, 1, 2, 3, 2, 1, 2}, {1, 1, 1, 2, 3, 3, 3, 3}, {2, 3, 1, 2, 3, 1, 2, 3}};
    const kernels::PadMode modes[3] = {kernels::PadMode::reflect, kernels::PadMode::edge, kernels::PadMode::wrap};
    for (int k = 0; k < 3; ++k) {
      float y[8] = {};
      compat::launch<TAcc>(queue, 8, kernels::PadKernel{}, g, modes[k], kernels::DenseIn<float>{x},
                           kernels::DenseOut<float>{y});
      alpaka::wait(queue);
      bool same = true;
      for (int i = 0; i < 8; ++i) same = same && y[i] == expect[k][i];
      CHECK(same);
    }
  }

  void contraction() {
    // [2, 3] x [3, 2] and the trace of a 3 x 3 matrix.
    const double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
    double c[4] = {};
    IndexMap<3> outer;
    outer.rank = 2;
    outer.extent[0] = 2, outer.extent[1] = 2;
    outer.stride[0][0] = 2, outer.stride[0][1] = 1;  // c[m, n]
    outer.stride[1][0] = 3, outer.stride[1][1] = 0;  // a[m, .]
    outer.stride[2][0] = 0, outer.stride[2][1] = 1;  // b[., n]
    IndexMap<2> inner;
    inner.rank = 1;
    inner.extent[0] = 3;
    inner.stride[0][0] = 1, inner.stride[1][0] = 2;
    compat::launch<TAcc>(queue, 4, kernels::ContractionKernel{}, outer, inner, std::int64_t{3},
                         kernels::DenseOut<double>{c}, kernels::DenseIn<double>{a}, kernels::DenseIn<double>{b});
    alpaka::wait(queue);
    CHECK(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
    const float m[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float trace = 0;
    IndexMap<2> o1;  // a scalar output: rank 0
    IndexMap<1> diagonal;
    diagonal.rank = 1;
    diagonal.extent[0] = 3;
    diagonal.stride[0][0] = 4;  // the strides of both subscripts of "ii" summed
    compat::launch<TAcc>(queue, 1, kernels::ReductionSumKernel{}, o1, diagonal, std::int64_t{3},
                         kernels::DenseOut<float>{&trace}, kernels::DenseIn<float>{m});
    alpaka::wait(queue);
    CHECK(trace == 15.f);
    // A batched MatMul [3, 4, 5] x [3, 5, 7] (runs along the last output axis, a one-axis reduction) and the
    // Einsum "ijk,jk->i" [6, 4, 5] x [4, 5] (a two-axis reduction), against loops here.
    std::vector<float> x(3 * 4 * 5), y(3 * 5 * 7), z(3 * 4 * 7, -1.f), u(6 * 4 * 5), e(6, -1.f);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.f;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 5) * 0.5f;
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<float>(i % 11) - 5.f;
    IndexMap<3> batched;
    batched.rank = 3;
    batched.extent[0] = 3, batched.extent[1] = 4, batched.extent[2] = 7;
    const std::int64_t zs[3] = {28, 7, 1}, xs[3] = {20, 5, 0}, ys[3] = {35, 0, 1};
    for (int d = 0; d < 3; ++d) batched.stride[0][d] = zs[d], batched.stride[1][d] = xs[d], batched.stride[2][d] = ys[d];
    IndexMap<2> k_axis;
    k_axis.rank = 1;
    k_axis.extent[0] = 5;
    k_axis.stride[0][0] = 1, k_axis.stride[1][0] = 7;
    compat::launch<TAcc>(queue, 3 * 4 * 7, kernels::ContractionKernel{}, batched, k_axis, std::int64_t{5},
                         kernels::DenseOut<float>{z.data()}, kernels::DenseIn<float>{x.data()},
                         kernels::DenseIn<float>{y.data()});
    IndexMap<3> rows;
    rows.rank = 1;
    rows.extent[0] = 6;
    rows.stride[0][0] = 1, rows.stride[1][0] = 20, rows.stride[2][0] = 0;
    IndexMap<2> jk;
    jk.rank = 2;
    jk.extent[0] = 4, jk.extent[1] = 5;
    jk.stride[0][0] = 5, jk.stride[0][1] = 1, jk.stride[1][0] = 5, jk.stride[1][1] = 1;
    compat::launch<TAcc>(queue, 6, kernels::ContractionKernel{}, rows, jk, std::int64_t{20},
                         kernels::DenseOut<float>{e.data()}, kernels::DenseIn<float>{u.data()},
                         kernels::DenseIn<float>{x.data()});
    alpaka::wait(queue);
    bool same = true;
    for (int bt = 0; bt < 3; ++bt)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 7; ++j) {
          float want = 0.f;
          for (int k = 0; k < 5; ++k) want += x[bt * 20 + i * 5 + k] * y[bt * 35 + k * 7 + j];
          same = same && z[bt * 28 + i * 7 + j] == want;  // small integers and halves: exact
        }
    for (int i = 0; i < 6; ++i) {
      float want = 0.f;
      for (int r = 0; r < 20; ++r) want += u[i * 20 + r] * x[r];
      same = same && e[i] == want;
    }
    CHECK(same);
  }

  void run() {
    types();
    accessors();
    functors();
    broadcast_and_half();
    softmax();
    pad();
    contraction();
  }
};

int main() { return sofie_soa_test::run_on_cpu_accelerators<Suite>(); }
