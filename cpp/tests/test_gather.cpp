// Unit tests of the indexing kernels (gather.hpp, scatter.hpp, index_error.hpp) on the CPU accelerators, against
// references computed here: negative indices, indices out of range (the element skipped, the error word set to
// the first failing launch's code, nothing written past the output), GatherND with batch_dims, scatter
// reductions with duplicate indices, OneHot's all-off rows; and a hand-written session whose model declares a
// check (SessionBase::enqueue_checked), which throws std::out_of_range with the check's message.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "cpu_suites.hpp"
#include "sofie_soa/kernels.hpp"
#include "sofie_soa/runtime/session_base.hpp"

using namespace sofie_soa;
using kernels::IndexError;
using kernels::IndexMap;
using kernels::ScatterReduction;
using I64 = std::int64_t;

constexpr float kGuard = -777.f;

/// A session over one weight table [4] of float: y[i] = table[ids[i]], ids an int64 [n] input (Gather-13).
struct LookupModel {
  static constexpr std::size_t kInputs = 1, kOutputs = 1;
  static constexpr bool kDynamic = true;
  static constexpr const char* kInputNames[] = {"ids"};
  static constexpr const char* kOutputNames[] = {"y"};
  static constexpr DType kInputDTypes[] = {DType::int64};
  static constexpr DType kOutputDTypes[] = {DType::float32};
  static constexpr I64 kInputFeatures[] = {1};
  static constexpr I64 kOutputFeatures[] = {1};
  static constexpr float kTable[] = {10, 20, 30, 40};
  static std::byte const* weights() { return reinterpret_cast<std::byte const*>(kTable); }
  static constexpr std::size_t kWeightBytes = sizeof kTable;
  static constexpr kernels::PackedLayer kPacked[] = {{0, 0, 0, 0}};
  static constexpr std::size_t kPackedLayers = 0, kPackedBytes = 0;
  static constexpr std::size_t workspace_bytes(I64, bool) { return 8; }
  static constexpr std::size_t kIndexChecks = 1;
  static constexpr const char* kIndexErrors[] = {"node 'lookup' (Gather): index out of range"};
  static constexpr std::size_t error_offset(I64, bool) { return 0; }
};

template <class TAcc, class TQueue = compat::DefaultQueue<TAcc>>
class LookupSession : public runtime::SessionBase<LookupSession<TAcc, TQueue>, TAcc, TQueue, LookupModel> {
  using Base = runtime::SessionBase<LookupSession<TAcc, TQueue>, TAcc, TQueue, LookupModel>;
  friend Base;

 public:
  using Base::Base;

 private:
  void enqueue(TQueue& queue, I64 n, typename Base::Bound const& bound, std::byte const* w, std::byte* ws) const {
    compat::launch<TAcc>(queue, n, kernels::GatherKernel{}, kernels::dense_in<float>(w, 0),
                         kernels::StridedIn<I64>{bound.in[0], {1, n}, 1},
                         kernels::StridedOut<float>{bound.out[0], {1, n}, 1},
                         I64{4}, n, I64{1}, IndexError{reinterpret_cast<std::int32_t*>(ws), 1});
  }
};

template <class TAcc> struct Suite {
  using Queue = compat::DefaultQueue<TAcc>;
  Queue queue{compat::device<TAcc>()};
  std::int32_t word = 0;

  IndexError error(std::int32_t code) { return {&word, code}; }

  void gather() {
    const float table[3][2] = {{0, 1}, {2, 3}, {4, 5}};  // data [outer 1, K 3, inner 2]
    const I64 ids[4] = {2, -3, 7, -1};                   // 7 is out of range
    float out[2 + 8 + 2];                                // guard elements around the [4, 2] output
    for (float& v : out) v = kGuard;
    word = 0;
    compat::launch<TAcc>(queue, 8, kernels::GatherKernel{}, kernels::DenseIn<float>{&table[0][0]},
                         kernels::DenseIn<I64>{ids}, kernels::DenseOut<float>{out + 2}, I64{3}, I64{4}, I64{2},
                         error(5));
    alpaka::wait(queue);
    const float expect[12] = {kGuard, kGuard, 4, 5, 0, 1, kGuard, kGuard, 4, 5, kGuard, kGuard};
    CHECK(std::memcmp(out, expect, sizeof out) == 0);
    CHECK(word == 5);
    // A later failing launch keeps the first code; a launch without a word (checked at compile time) sets none.
    compat::launch<TAcc>(queue, 8, kernels::GatherKernel{}, kernels::DenseIn<float>{&table[0][0]},
                         kernels::DenseIn<I64>{ids}, kernels::DenseOut<float>{out + 2}, I64{3}, I64{4}, I64{2},
                         error(9));
    compat::launch<TAcc>(queue, 8, kernels::GatherKernel{}, kernels::DenseIn<float>{&table[0][0]},
                         kernels::DenseIn<I64>{ids}, kernels::DenseOut<float>{out + 2}, I64{3}, I64{4}, I64{2},
                         IndexError{});
    alpaka::wait(queue);
    CHECK(word == 5);
  }

  void gather_elements_and_nd() {
    const float x[2][3] = {{1, 2, 3}, {4, 5, 6}};  // GatherElements axis 1, indices [2, 2]
    const std::int32_t idx[2][2] = {{-1, 0}, {1, 3}};
    IndexMap<2> m;
    m.rank = 2;
    m.extent[0] = 2, m.extent[1] = 2;
    m.stride[0][0] = 2, m.stride[0][1] = 1;  // the output
    m.stride[1][0] = 3, m.stride[1][1] = 0;  // data, without the axis
    float y[4] = {kGuard, kGuard, kGuard, kGuard};
    word = 0;
    compat::launch<TAcc>(queue, 4, kernels::GatherElementsKernel{}, m, kernels::DenseIn<float>{&x[0][0]},
                         kernels::DenseIn<std::int32_t>{&idx[0][0]}, kernels::DenseOut<float>{y}, I64{3}, I64{1},
                         error(2));
    alpaka::wait(queue);
    CHECK(y[0] == 3 && y[1] == 1 && y[2] == 5 && y[3] == kGuard && word == 2);

    // GatherND, batch_dims 1: data [2, 3, 2], indices [2, 1, 1] -> out [2, 1, 2] = data[b, idx[b, 0, 0], :].
    float data[12];
    for (int i = 0; i < 12; ++i) data[i] = static_cast<float>(i);
    const I64 tuples[2] = {-1, 3};
    kernels::TupleGeometry g;
    g.k = 1, g.extent[0] = 3, g.stride[0] = 2, g.slice = 2, g.groups = 1, g.batch_stride = 6;
    float out[4] = {kGuard, kGuard, kGuard, kGuard};
    word = 0;
    compat::launch<TAcc>(queue, 4, kernels::GatherNDKernel{}, kernels::DenseIn<float>{data},
                         kernels::DenseIn<I64>{tuples}, kernels::DenseOut<float>{out}, g, error(3));
    alpaka::wait(queue);
    CHECK(out[0] == 4 && out[1] == 5 && out[2] == kGuard && out[3] == kGuard && word == 3);
  }

  void scatter() {
    // ScatterElements, axis 1 of [2, 3], indices [2, 3] with duplicates in a line: every reduction.
    const I64 idx[2][3] = {{0, 0, -1}, {2, 5, 2}};  // 5 is out of range
    const float upd[2][3] = {{2, 3, 4}, {5, 6, -1}};
    IndexMap<2> lines;
    lines.rank = 1;
    lines.extent[0] = 2;
    lines.stride[0][0] = 3, lines.stride[1][0] = 3;
    struct Case {
      ScatterReduction reduction;
      float expect[6];
    };
    const Case cases[] = {{ScatterReduction::none, {3, 1, 4, 1, 1, -1}},
                          {ScatterReduction::add, {6, 1, 5, 1, 1, 5}},
                          {ScatterReduction::mul, {6, 1, 4, 1, 1, -5}},
                          {ScatterReduction::max, {3, 1, 4, 1, 1, 5}},
                          {ScatterReduction::min, {1, 1, 1, 1, 1, -1}}};
    for (Case const& c : cases) {
      float out[6] = {1, 1, 1, 1, 1, 1};  // the copy of data
      word = 0;
      compat::launch<TAcc>(queue, 2, kernels::ScatterElementsKernel{}, lines, kernels::DenseIn<I64>{&idx[0][0]},
                           kernels::DenseIn<float>{&upd[0][0]}, kernels::DenseOut<float>{out}, I64{3}, I64{1}, I64{3},
                           I64{1}, c.reduction, error(4));
      alpaka::wait(queue);
      CHECK(std::memcmp(out, c.expect, sizeof out) == 0 && word == 4);
    }

    // ScatterND into [3, 2] rows (k = 1): rows 1, 1, -1 and 3 (out of range).
    const I64 rows[4] = {1, 1, -1, 3};
    const float slices[4][2] = {{1, 2}, {10, 20}, {100, 200}, {-9, -9}};
    kernels::TupleGeometry g;
    g.k = 1, g.extent[0] = 3, g.stride[0] = 2, g.slice = 2;
    float sum[3 * 2 + 2];
    for (float& v : sum) v = 0;
    sum[6] = sum[7] = kGuard;  // guard after the output
    word = 0;
    compat::launch<TAcc>(queue, 2, kernels::ScatterNDKernel{}, kernels::DenseIn<I64>{rows},
                         kernels::DenseIn<float>{&slices[0][0]}, kernels::DenseOut<float>{sum}, I64{4}, g,
                         ScatterReduction::add, error(6));
    alpaka::wait(queue);
    const float expect[8] = {0, 0, 11, 22, 100, 200, kGuard, kGuard};
    CHECK(std::memcmp(sum, expect, sizeof sum) == 0 && word == 6);
    float last[6] = {};
    compat::launch<TAcc>(queue, 8, kernels::ScatterNDKernel{}, kernels::DenseIn<I64>{rows},
                         kernels::DenseIn<float>{&slices[0][0]}, kernels::DenseOut<float>{last}, I64{4}, g,
                         ScatterReduction::none, IndexError{});
    alpaka::wait(queue);
    CHECK(last[4] == 100 && last[5] == 200 && (last[2] == 1 || last[2] == 10) && last[0] == 0);
  }

  void onehot() {
    const float ids[3] = {1.9f, -1, 3};  // depth 3: 1 (truncated), 2 (negative), none (out of range)
    const float values[2] = {-1, 5};
    float out[9];
    compat::launch<TAcc>(queue, 9, kernels::OneHotKernel{}, kernels::DenseIn<float>{ids},
                         kernels::DenseIn<float>{values}, kernels::DenseOut<float>{out}, I64{3}, I64{1}, true);
    alpaka::wait(queue);
    const float expect[9] = {-1, 5, -1, -1, -1, 5, -1, -1, -1};
    CHECK(std::memcmp(out, expect, sizeof out) == 0);
  }

  void session() {
    LookupSession<TAcc> s(queue);
    I64 ids[3] = {3, -4, 1};
    float y[3] = {};
    kernels::FeatureRef in{reinterpret_cast<std::byte*>(ids), 1, DType::int64};
    kernels::FeatureRef out{reinterpret_cast<std::byte*>(y), 1, DType::float32};
    kernels::FeatureRef const* ins[] = {&in};
    kernels::FeatureRef const* outs[] = {&out};
    s.infer(queue, 3, ins, outs);
    CHECK(y[0] == 40 && y[1] == 10 && y[2] == 20);
    ids[1] = 4;
    y[1] = kGuard;
    EXPECT_THROWS(s.infer(queue, 3, ins, outs), std::out_of_range, "node 'lookup' (Gather): index out of range");
    CHECK(y[1] == kGuard);
    ids[1] = 0;
    s.infer(queue, 3, ins, outs);  // each call has its own, zeroed, error word
    CHECK(y[1] == 10);
  }

  void run() {
    gather();
    gather_elements_and_nd();
    scatter();
    onehot();
    session();
  }
};

int main() { return sofie_soa_test::run_on_cpu_accelerators<Suite>(); }
