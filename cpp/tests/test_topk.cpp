// Unit tests of TopKKernel (topk.hpp) on the CPU accelerators, against orders computed here: largest and smallest
// along the middle axis of [outer, extent, inner], ties resolved towards the lower index, NaN above every number,
// k = extent (a full sort), integer data, and k above the local-array path; nothing is written past the
// [outer, k, inner] outputs.
#include <cmath>
#include <cstdint>
#include <limits>

#include "check.hpp"
#include "cpu_suites.hpp"
#include "sofie_soa/kernels.hpp"

using namespace sofie_soa;
using I64 = std::int64_t;

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};

  void ties_and_both_orders() {
    // data [outer 2, extent 5, inner 2]; line (0, 0) = 3 1 3 0 2 and (0, 1) = 5 6 7 8 9, line (1, q) = -line.
    const float line0[5] = {3, 1, 3, 0, 2}, line1[5] = {5, 6, 7, 8, 9};
    float data[2][5][2];
    for (int j = 0; j < 5; ++j) {
      data[0][j][0] = line0[j], data[0][j][1] = line1[j];
      data[1][j][0] = -line0[j], data[1][j][1] = -line1[j];
    }
    for (bool largest : {true, false}) {
      float values[2 * 3 * 2 + 1];
      I64 indices[2 * 3 * 2 + 1];
      values[12] = -1.f, indices[12] = -1;  // guards
      compat::launch<TAcc>(queue, 4, kernels::TopKKernel{}, kernels::DenseIn<float>{&data[0][0][0]},
                           kernels::DenseOut<float>{values}, kernels::DenseOut<I64>{indices}, I64{5}, I64{2}, I64{3},
                           largest);
      alpaka::wait(queue);
      // the ties 3 (indices 0 and 2) come in index order
      const I64 top0[3] = {0, 2, 4}, bottom0[3] = {3, 1, 4}, top1[3] = {4, 3, 2}, bottom1[3] = {0, 1, 2};
      for (int r = 0; r < 3; ++r) {
        CHECK(indices[r * 2 + 0] == (largest ? top0 : bottom0)[r]);
        CHECK(indices[r * 2 + 1] == (largest ? top1 : bottom1)[r]);
        CHECK(indices[6 + r * 2 + 0] == (largest ? bottom0 : top0)[r]);   // negated: the order flips
        CHECK(indices[6 + r * 2 + 1] == (largest ? bottom1 : top1)[r]);
        CHECK(values[r * 2] == line0[indices[r * 2]] && values[6 + r * 2 + 1] == -line1[indices[6 + r * 2 + 1]]);
      }
      CHECK(values[12] == -1.f && indices[12] == -1);
    }
  }

  void nan_and_full_sort() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float data[4] = {1, nan, -2, nan};
    float values[4];
    I64 indices[4];
    compat::launch<TAcc>(queue, 1, kernels::TopKKernel{}, kernels::DenseIn<float>{data},
                         kernels::DenseOut<float>{values}, kernels::DenseOut<I64>{indices}, I64{4}, I64{1}, I64{4},
                         true);
    alpaka::wait(queue);
    CHECK(indices[0] == 1 && indices[1] == 3 && indices[2] == 0 && indices[3] == 2);
    CHECK(std::isnan(values[0]) && std::isnan(values[1]) && values[2] == 1 && values[3] == -2);

    const std::int32_t ints[6] = {4, -7, 4, 9, 0, 9};
    std::int32_t iv[6];
    I64 ii[6];
    compat::launch<TAcc>(queue, 1, kernels::TopKKernel{}, kernels::DenseIn<std::int32_t>{ints},
                         kernels::DenseOut<std::int32_t>{iv}, kernels::DenseOut<I64>{ii}, I64{6}, I64{1}, I64{6},
                         false);
    alpaka::wait(queue);
    const I64 order[6] = {1, 4, 0, 2, 3, 5};
    for (int r = 0; r < 6; ++r) CHECK(ii[r] == order[r] && iv[r] == ints[order[r]]);
  }

  /// k above TopKKernel::kLocal takes the k-pass path: the same order, ties by index.
  void many_passes() {
    constexpr int extent = 45, k = 40;
    static_assert(k > kernels::TopKKernel::kLocal);
    float data[extent];
    for (int j = 0; j < extent; ++j) data[j] = static_cast<float>((j * 7) % 15);  // values 0..14, each 3 times
    float values[k];
    I64 indices[k];
    compat::launch<TAcc>(queue, 1, kernels::TopKKernel{}, kernels::DenseIn<float>{data},
                         kernels::DenseOut<float>{values}, kernels::DenseOut<I64>{indices}, I64{extent}, I64{1},
                         I64{k}, true);
    alpaka::wait(queue);
    for (int r = 0; r < k; ++r) {
      CHECK(values[r] == data[indices[r]]);
      if (r > 0) CHECK(values[r] < values[r - 1] || (values[r] == values[r - 1] && indices[r] > indices[r - 1]));
    }
    CHECK(values[0] == 14.f && values[k - 1] == 1.f);
  }

  void run() {
    ties_and_both_orders();
    nan_and_full_sort();
    many_passes();
  }
};

int main() { return sofie_soa_test::run_on_cpu_accelerators<Suite>(); }
