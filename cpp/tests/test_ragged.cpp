// Unit tests of ragged views (runtime/ragged.hpp) and of the accessors' ragged loads and stores (accessors.hpp
// source_row): 4 jets with 3, 0, 6 and 1 constituents (the third longer than P = 4), their ranges given as offsets,
// as begin/count and as a sorted parent index; loads gather with padding, stores touch valid positions only; bad
// ranges are refused naming the column and the first bad index.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "sofie_soa/core.hpp"
#include "sofie_soa/kernels.hpp"
#include "sofie_soa/runtime/bind.hpp"

using namespace sofie_soa;
using I64 = std::int64_t;
using runtime::IndexColumn;
using runtime::RaggedOrder;
using runtime::RaggedView;

constexpr I64 kJets = 4, kP = 4, kM = 10;
const std::int32_t kOffsets[kJets + 1] = {0, 3, 3, 9, 10};
const std::int64_t kBegin[kJets] = {0, 3, 3, 9};
const std::uint16_t kCount[kJets] = {3, 0, 6, 1};
const std::int32_t kParent[kM] = {0, 0, 0, 2, 2, 2, 2, 2, 2, 3};

template <class T> IndexColumn column_of(char const* label, T const* data, I64 length) {
  return {label, reinterpret_cast<std::byte const*>(data), dtype_of<T>(), 1, length};
}

/// The constituents: a float32 "pt" = 10 + j and an int16 "charge" = j % 3 - 1, plus a float64 output "w".
struct Constituents {
  Layout layout{make_fixed_layout(column<float>("pt"), column<std::int16_t>("charge"), column<double>("w"))};
  std::size_t bytes = layout.byte_size(kM);
  std::unique_ptr<std::byte, decltype(&std::free)> buffer{static_cast<std::byte*>(std::aligned_alloc(128, bytes)),
                                                          &std::free};
  SoAView view{buffer.get(), bytes, layout, kM};
  Constituents() {
    for (I64 j = 0; j < kM; ++j) {
      view.column<float>("pt")[j] = static_cast<float>(10 + j);
      view.column<std::int16_t>("charge")[j] = static_cast<std::int16_t>(j % 3 - 1);
      view.column<double>("w")[j] = -1.0;
    }
  }
};

/// Element (i, c, p) as the padded tensor would hold it (pad -5).
float expected(I64 i, I64 c, I64 p) {
  const I64 begin = kOffsets[i], length = kOffsets[i + 1] - kOffsets[i];
  if (p >= length) return -5.f;
  const I64 j = begin + p;
  return c == 0 ? static_cast<float>(10 + j) : static_cast<float>(j % 3 - 1);
}

void loads_gather_with_padding() {
  Constituents soa;
  const TensorView members = soa.view.tensor({"pt", "charge"});
  const RaggedView views[3] = {
      RaggedView::from_offsets(members, column_of("offsets", kOffsets, kJets + 1), kP, RaggedOrder::CP, -5.0),
      RaggedView::from_begin_count(members, column_of("begin", kBegin, kJets), column_of("count", kCount, kJets), kP,
                                   RaggedOrder::CP, -5.0),
      RaggedView::from_parents(members, column_of("parent", kParent, kM), kJets, kP, RaggedOrder::CP, -5.0)};
  for (RaggedView const& view : views) {
    view.validate(true);
    CHECK(view.n() == kJets && view.features() == 2 * kP);
    const std::vector<kernels::FeatureRef> refs = view.refs();
    for (I64 i = 0; i < kJets; ++i)
      for (I64 c = 0; c < 2; ++c)
        for (I64 p = 0; p < kP; ++p) CHECK(kernels::load_feature<float>(refs[c * kP + p], i) == expected(i, c, p));
    // the accessor a session reads graph inputs through: flat (i, c, p) of [n, 2, P], in spans
    const kernels::StridedIn<float> in{refs.data(), {2 * kP, kJets}, 2 * kP};
    float span[kJets * 2 * kP];
    in.load_span(0, 1, kJets * 2 * kP, span);
    for (I64 f = 0; f < kJets * 2 * kP; ++f) CHECK(span[f] == expected(f / (2 * kP), f / kP % 2, f % kP));
    I64 pitch = 0;
    CHECK(in.row_major(pitch) == nullptr);  // never taken for a dense matrix
    // the mask, [n, 1, P]: 1 where a constituent is
    const std::vector<kernels::FeatureRef> mask = view.mask().refs();
    CHECK(view.mask().features() == kP);
    for (I64 i = 0; i < kJets; ++i)
      for (I64 p = 0; p < kP; ++p)
        CHECK(kernels::load_feature<float>(mask[p], i) == (p < kOffsets[i + 1] - kOffsets[i] ? 1.f : 0.f));
  }
  // [n, P, C]: feature (p, c) at p * C + c
  const std::vector<kernels::FeatureRef> pc =
      RaggedView::from_offsets(members, column_of("offsets", kOffsets, kJets + 1), kP, RaggedOrder::PC, -5.0).refs();
  for (I64 i = 0; i < kJets; ++i)
    for (I64 p = 0; p < kP; ++p)
      for (I64 c = 0; c < 2; ++c) CHECK(kernels::load_feature<float>(pc[p * 2 + c], i) == expected(i, c, p));
}

void stores_only_at_valid_positions() {
  Constituents soa;
  const RaggedView out = RaggedView::from_offsets(soa.view.tensor({"w"}), column_of("offsets", kOffsets, kJets + 1),
                                                  kP);
  const std::vector<kernels::FeatureRef> refs = out.refs();
  const kernels::StridedOut<float> y{refs.data(), {kP, kJets}, kP};
  float values[kJets * kP];
  for (I64 f = 0; f < kJets * kP; ++f) values[f] = static_cast<float>(f);
  y.store_span(0, 1, kJets * kP, values);
  double const* w = soa.view.column<double>("w");
  // jet 0: constituents 0..2 <- 0, 1, 2; jet 2: 3..6 <- 8..11, and 7, 8 (past P) untouched; jet 3: 9 <- 12
  const double want[kM] = {0, 1, 2, 8, 9, 10, 11, -1, -1, 12};
  for (I64 j = 0; j < kM; ++j) CHECK(w[j] == want[j]);
}

void bad_ranges_are_named() {
  Constituents soa;
  const TensorView members = soa.view.tensor({"pt"});
  const std::int32_t decreasing[5] = {0, 3, 2, 9, 10}, past[5] = {0, 3, 3, 9, 11};
  EXPECT_THROWS(RaggedView::from_offsets(members, column_of("offsets", decreasing, 5), kP).validate(),
                std::invalid_argument, "offsets[2] = 2 is below offsets[1] = 3");
  EXPECT_THROWS(RaggedView::from_offsets(members, column_of("offsets", past, 5), kP).validate(),
                std::invalid_argument, "offsets[4] = 11 is past the 10 elements");
  EXPECT_THROWS(RaggedView::from_offsets(members, column_of("offsets", kOffsets, 5), kP, RaggedOrder::CP, 0.0, 5),
                std::invalid_argument, "has 5 entries for 5 parents: it needs n + 1");
  const float floats[5] = {0, 1, 2, 3, 4};
  EXPECT_THROWS(RaggedView::from_offsets(members, column_of("offsets", floats, 5), kP).validate(),
                std::invalid_argument, "holds float32; ranges need an integer column");
  const std::int64_t overlapping[4] = {0, 2, 3, 9};
  const RaggedView shared =
      RaggedView::from_begin_count(members, column_of("begin", overlapping, 4), column_of("count", kCount, 4), kP);
  shared.validate();  // inputs may read a constituent twice
  EXPECT_THROWS(shared.validate(true), std::invalid_argument, "begin[1] = 2 starts inside the range");
  const std::uint16_t long_count[4] = {3, 0, 6, 2};
  EXPECT_THROWS(RaggedView::from_begin_count(members, column_of("begin", kBegin, 4), column_of("count", long_count, 4),
                                             kP).validate(),
                std::invalid_argument, "count[3] = 2 with begin[3] = 9 reaches past the 10 elements");
  const std::int32_t unsorted[kM] = {0, 0, 2, 0, 2, 2, 2, 2, 2, 3}, outside[kM] = {0, 0, 0, 2, 2, 2, 2, 2, 2, 4};
  EXPECT_THROWS(RaggedView::from_parents(members, column_of("parent", unsorted, kM), kJets, kP).validate(),
                std::invalid_argument, "parent[3] = 0 is below parent[2] = 2: constituents must be sorted by parent");
  EXPECT_THROWS(RaggedView::from_parents(members, column_of("parent", outside, kM), kJets, kP).validate(),
                std::invalid_argument, "parent[9] = 4 is outside the 4 parents");
  EXPECT_THROWS(RaggedView::from_offsets(members, column_of("offsets", kOffsets, 5), 0), std::invalid_argument,
                "max_length must be at least 1");
}

void ranges_are_clamped_without_validation() {
  // GPUs do not validate on the host: a kernel given bad ranges must still stay inside the collection.
  Constituents soa;
  const std::int32_t wild[5] = {-4, 3, 100, 2, 10};
  const std::vector<kernels::FeatureRef> refs =
      RaggedView::from_offsets(soa.view.tensor({"pt"}), column_of("offsets", wild, 5), kP).refs();
  for (I64 i = 0; i < kJets; ++i)
    for (I64 p = 0; p < kP; ++p) {
      const I64 j = kernels::source_row(refs[p], i);
      CHECK(j >= -1 && j < kM);
    }
}

int main() {
  loads_gather_with_padding();
  stores_only_at_valid_positions();
  bad_ranges_are_named();
  ranges_are_clamped_without_validation();
  return TEST_MAIN_RESULT();
}
