// Unit tests of the reduction kernels (reduce.hpp, cumulative.hpp) on the CPU accelerators, against references
// computed here: every ReduceKind over a middle axis and over two non-adjacent axes of a [2, 3, 4] tensor, empty
// reductions (the kinds' identities), NaN through Max/Min, integer sums that wrap and integer means that
// truncate, bool Max/Min, float16 in float; ArgMax/ArgMin with ties, select_last_index and NaN; CumSum/CumProd
// in every exclusive/reverse combination.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.hpp"
#include "cpu_suites.hpp"
#include "sofie_soa/kernels.hpp"

using namespace sofie_soa;
using kernels::IndexMap;
using kernels::ReduceKind;

namespace {

/// The walks of a [2, 3, 4] row-major tensor reducing `axes` (ascending; kept axes in order).
struct Walks {
  IndexMap<2> outer;
  IndexMap<1> inner;
  std::int64_t reduced = 1, count = 1;
};

Walks walks(std::vector<int> const& axes, std::vector<std::int64_t> shape = {2, 3, 4}) {
  std::vector<std::int64_t> stride(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) stride[d] = stride[d + 1] * shape[d + 1];
  Walks w;
  std::vector<int> kept;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    bool is_reduced = false;
    for (int a : axes) is_reduced = is_reduced || a == d;
    if (is_reduced) {
      w.inner.extent[w.inner.rank] = shape[d];
      w.inner.stride[0][w.inner.rank++] = stride[d];
      w.reduced *= shape[d];
    } else {
      kept.push_back(d);
    }
  }
  std::int64_t out_stride = 1;
  for (int k = static_cast<int>(kept.size()) - 1; k >= 0; --k) {
    w.outer.extent[k] = shape[kept[k]];
    w.outer.stride[0][k] = out_stride;
    w.outer.stride[1][k] = stride[kept[k]];
    out_stride *= shape[kept[k]];
  }
  w.outer.rank = static_cast<int>(kept.size());
  w.count = out_stride;
  return w;
}

}  // namespace

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};

  template <ReduceKind K, class T> std::vector<T> reduce(std::vector<T> const& x, Walks const& w) {
    std::vector<T> out(static_cast<std::size_t>(w.count));
    compat::launch<TAcc>(queue, w.count, kernels::ReduceKernel<K>{}, w.outer, w.inner, w.reduced,
                         kernels::DenseOut<T>{out.data()}, kernels::DenseIn<T>{x.data()});
    alpaka::wait(queue);
    return out;
  }

  void kinds() {
    std::vector<double> x(24);
    for (int i = 0; i < 24; ++i) x[i] = 0.25 * (i % 7) + 0.1 * (i / 7) + 0.05;
    // Over axes {0, 2} of [2, 3, 4]: output [3], element j reduces x[a * 12 + j * 4 + c].
    const Walks w = walks({0, 2});
    CHECK(w.count == 3 && w.reduced == 8);
    auto fold = [&](int j, auto f, double init) {
      double v = init;
      for (int a = 0; a < 2; ++a)
        for (int c = 0; c < 4; ++c) v = f(v, x[a * 12 + j * 4 + c]);
      return v;
    };
    const auto sum = reduce<ReduceKind::sum>(x, w), mean = reduce<ReduceKind::mean>(x, w);
    const auto mx = reduce<ReduceKind::max>(x, w), mn = reduce<ReduceKind::min>(x, w);
    const auto prod = reduce<ReduceKind::prod>(x, w), l1 = reduce<ReduceKind::l1>(x, w);
    const auto l2 = reduce<ReduceKind::l2>(x, w), log_sum = reduce<ReduceKind::log_sum>(x, w);
    const auto lse = reduce<ReduceKind::log_sum_exp>(x, w), sq = reduce<ReduceKind::sum_square>(x, w);
    bool same = true;
    for (int j = 0; j < 3; ++j) {
      const double s = fold(j, [](double a, double b) { return a + b; }, 0);
      const double s2 = fold(j, [](double a, double b) { return a + b * b; }, 0);
      const double se = fold(j, [](double a, double b) { return a + std::exp(b); }, 0);
      same = same && std::abs(sum[j] - s) < 1e-12 && std::abs(mean[j] - s / 8) < 1e-12 &&
             mx[j] == fold(j, [](double a, double b) { return a > b ? a : b; }, -1e9) &&
             mn[j] == fold(j, [](double a, double b) { return a < b ? a : b; }, 1e9) &&
             std::abs(prod[j] - fold(j, [](double a, double b) { return a * b; }, 1)) < 1e-12 &&
             std::abs(l1[j] - s) < 1e-12 && std::abs(l2[j] - std::sqrt(s2)) < 1e-12 &&
             std::abs(log_sum[j] - std::log(s)) < 1e-12 && std::abs(lse[j] - std::log(se)) < 1e-12 &&
             std::abs(sq[j] - s2) < 1e-12;
    }
    CHECK(same);
    // Over the middle axis: output [2, 4].
    const auto middle = reduce<ReduceKind::sum>(x, walks({1}));
    CHECK(middle.size() == 8 && std::abs(middle[5] - (x[13] + x[17] + x[21])) < 1e-12);
    // No axes (noop_with_empty_axes): each element alone.
    const auto alone = reduce<ReduceKind::sum_square>(x, walks({}));
    CHECK(alone.size() == 24 && alone[7] == x[7] * x[7]);
  }

  void empty_and_special() {
    const std::vector<float> none(1);  // never read: the reduced extent is 0
    const Walks w = walks({1}, {2, 0});
    CHECK(w.count == 2 && w.reduced == 0);
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(reduce<ReduceKind::sum>(none, w)[1] == 0.f && reduce<ReduceKind::prod>(none, w)[0] == 1.f);
    CHECK(reduce<ReduceKind::max>(none, w)[0] == -inf && reduce<ReduceKind::min>(none, w)[0] == inf);
    CHECK(std::isnan(reduce<ReduceKind::mean>(none, w)[0]) && reduce<ReduceKind::l2>(none, w)[0] == 0.f);
    CHECK(reduce<ReduceKind::log_sum>(none, w)[0] == -inf && reduce<ReduceKind::log_sum_exp>(none, w)[0] == -inf);
    const std::vector<std::int32_t> no_ints(1);
    CHECK(reduce<ReduceKind::max>(no_ints, w)[0] == std::numeric_limits<std::int32_t>::lowest() &&
          reduce<ReduceKind::mean>(no_ints, w)[0] == 0);
    // NaN wins in Max/Min wherever it is; LogSumExp stays finite for large values and passes +-inf.
    const std::vector<float> nan = {NAN, 1, 2, 3, 1, 2, NAN, 0};
    const Walks rows = walks({1}, {2, 4});
    const auto mx = reduce<ReduceKind::max>(nan, rows), mn = reduce<ReduceKind::min>(nan, rows);
    CHECK(std::isnan(mx[0]) && std::isnan(mx[1]) && std::isnan(mn[0]) && std::isnan(mn[1]));
    const auto lse = reduce<ReduceKind::log_sum_exp>(std::vector<float>{1000, 1000, -inf, inf}, walks({1}, {2, 2}));
    CHECK(std::abs(lse[0] - (1000.f + std::log(2.f))) < 1e-3f && lse[1] == inf);
    // Integers: sums wrap, means truncate toward zero, L2 truncates the root, L1 of the lowest value wraps.
    const std::int32_t lo = std::numeric_limits<std::int32_t>::min();
    const std::vector<std::int32_t> ints = {lo, lo, -7, 2, 1, 4};
    const Walks pairs = walks({1}, {3, 2});
    const auto isum = reduce<ReduceKind::sum>(ints, pairs), imean = reduce<ReduceKind::mean>(ints, pairs);
    CHECK(isum[0] == 0 && isum[1] == -5 && imean[1] == -2 && imean[2] == 2);
    CHECK(reduce<ReduceKind::l2>(ints, pairs)[2] == 4 && reduce<ReduceKind::l1>(ints, pairs)[1] == 9);
    const std::vector<std::uint16_t> big = {65535, 65535};
    CHECK(reduce<ReduceKind::prod>(big, walks({0}, {2}))[0] == 1);  // modulo 2^16, no int overflow
    // bool Max / Min: any / all.
    const std::vector<std::uint8_t> bits = {0, 1, 0, 0};
    std::vector<std::uint8_t> any(2), all(2);
    const Walks bw = walks({1}, {2, 2});
    compat::launch<TAcc>(queue, bw.count, kernels::ReduceKernel<ReduceKind::max>{}, bw.outer, bw.inner, bw.reduced,
                         kernels::DenseOut<bool>{reinterpret_cast<bool*>(any.data())},
                         kernels::DenseIn<bool>{reinterpret_cast<bool const*>(bits.data())});
    compat::launch<TAcc>(queue, bw.count, kernels::ReduceKernel<ReduceKind::min>{}, bw.outer, bw.inner, bw.reduced,
                         kernels::DenseOut<bool>{reinterpret_cast<bool*>(all.data())},
                         kernels::DenseIn<bool>{reinterpret_cast<bool const*>(bits.data())});
    alpaka::wait(queue);
    CHECK(any[0] == 1 && any[1] == 0 && all[0] == 0 && all[1] == 0);
    // float16 accumulates in float: 2048 + 1 + 1 would stay 2048 in half arithmetic.
    std::vector<kernels::Half> h = {{kernels::float_to_half(2048.f)}, {kernels::float_to_half(1.f)},
                                    {kernels::float_to_half(1.f)}};
    CHECK(kernels::half_to_float(reduce<ReduceKind::sum>(h, walks({0}, {3}))[0].bits) == 2050.f);
  }

  template <bool Max, class T>
  std::vector<std::int64_t> arg(std::vector<T> const& x, Walks const& w, std::int64_t len, std::int64_t stride,
                                bool last) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(w.count));
    compat::launch<TAcc>(queue, w.count, kernels::ArgReduceKernel<Max>{}, w.outer, len, stride, last,
                         kernels::DenseOut<std::int64_t>{out.data()}, kernels::DenseIn<T>{x.data()});
    alpaka::wait(queue);
    return out;
  }

  void arg_reductions() {
    // [2, 4] along the last axis, and [4, 2] along the first (stride 2).
    const std::vector<float> x = {3, 1, 3, 0, 1, NAN, 5, NAN};
    const Walks rows = walks({1}, {2, 4});
    auto first_max = arg<true>(x, rows, 4, 1, false), last_max = arg<true>(x, rows, 4, 1, true);
    auto first_min = arg<false>(x, rows, 4, 1, false), last_min = arg<false>(x, rows, 4, 1, true);
    CHECK(first_max[0] == 0 && last_max[0] == 2 && first_min[0] == 3 && last_min[0] == 3);
    CHECK(first_max[1] == 1 && last_max[1] == 3 && first_min[1] == 1 && last_min[1] == 3);  // NaN wins
    const std::vector<std::int32_t> t = {2, 9, 2, 9, 1, 9, 2, 0};  // [4, 2]
    auto columns = arg<true>(t, walks({0}, {4, 2}), 4, 2, false), last = arg<true>(t, walks({0}, {4, 2}), 4, 2, true);
    CHECK(columns[0] == 0 && last[0] == 3 && columns[1] == 0 && last[1] == 2);
  }

  template <bool Product, class T>
  std::vector<T> scan(std::vector<T> const& x, std::int64_t lines, std::int64_t len, std::int64_t inner,
                      bool exclusive, bool reverse) {
    std::vector<T> out(x.size());
    compat::launch<TAcc>(queue, lines, kernels::CumulativeKernel<Product>{}, kernels::DenseIn<T>{x.data()},
                         kernels::DenseOut<T>{out.data()}, len, inner, exclusive, reverse);
    alpaka::wait(queue);
    return out;
  }

  void cumulative() {
    const std::vector<double> x = {1, 2, 3, 4, 5, 6};  // [2, 3]
    CHECK((scan<false>(x, 2, 3, 1, false, false) == std::vector<double>{1, 3, 6, 4, 9, 15}));
    CHECK((scan<false>(x, 2, 3, 1, true, false) == std::vector<double>{0, 1, 3, 0, 4, 9}));
    CHECK((scan<false>(x, 2, 3, 1, false, true) == std::vector<double>{6, 5, 3, 15, 11, 6}));
    CHECK((scan<false>(x, 2, 3, 1, true, true) == std::vector<double>{5, 3, 0, 11, 6, 0}));
    CHECK((scan<false>(x, 3, 2, 3, false, false) == std::vector<double>{1, 2, 3, 5, 7, 9}));  // along axis 0
    CHECK((scan<true>(x, 2, 3, 1, false, false) == std::vector<double>{1, 2, 6, 4, 20, 120}));
    CHECK((scan<true>(x, 2, 3, 1, true, true) == std::vector<double>{6, 3, 1, 30, 6, 1}));
    const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    CHECK((scan<false>(std::vector<std::int64_t>{hi, 1}, 1, 2, 1, false, false) ==
           std::vector<std::int64_t>{hi, std::numeric_limits<std::int64_t>::min()}));  // wraps
  }

  void run() {
    kinds();
    empty_and_special();
    arg_reductions();
    cumulative();
  }
};

int main() { return sofie_soa_test::run_on_cpu_accelerators<Suite>(); }
