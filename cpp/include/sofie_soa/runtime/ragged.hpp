// sofie_soa/runtime/ragged.hpp — ragged collections (jets → constituents, tracks → hits) as the padded [n, C, P]
// or [n, P, C] tensors set and sequence models take, without a padded copy. Alpaka-free.
//
// A RaggedView lays C member columns of a constituent collection (m elements, a TensorView) over n parents: the
// logical element (i, c, p) is member c of constituent begin(i) + p when p < length(i), else the pad value;
// lists longer than P (max_length) are truncated to their first P, as weaver-core does. The ranges come from the
// parent collection as an [n + 1] offsets column, as begin and count columns, or — CMS style — from a parent index
// per constituent with the constituents sorted by parent. mask() is the [n, 1, P] tensor of 1 at valid positions,
// 0 at padding, derived from the lengths without a buffer. The kernels gather and pad in their loads
// (kernels/accessors.hpp source_row) and write outputs only at valid positions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sofie_soa/core/soa_view.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"

namespace sofie_soa::runtime {

/// An integer column of index data: element i at data + i * stride elements of dtype; `length` elements;
/// `label` names it in errors ("offsets", "cand_begin").
struct IndexColumn {
  std::string label;
  std::byte const* data;
  DType dtype;
  std::int64_t stride;
  std::int64_t length;

  /// Element i as a signed integer (host memory).
  std::int64_t operator[](std::int64_t i) const {
    std::byte const* p = data + i * stride * static_cast<std::int64_t>(size_of(dtype));
    auto read = [p](auto v) {
      std::memcpy(&v, p, sizeof v);
      return static_cast<std::int64_t>(v);
    };
    switch (dtype) {
      case DType::int8: return read(std::int8_t{});
      case DType::int16: return read(std::int16_t{});
      case DType::int32: return read(std::int32_t{});
      case DType::int64: return read(std::int64_t{});
      case DType::uint8: return read(std::uint8_t{});
      case DType::uint16: return read(std::uint16_t{});
      case DType::uint32: return read(std::uint32_t{});
      case DType::uint64: return read(std::uint64_t{});
      default: throw std::invalid_argument("column '" + label + "' holds " + std::string(name_of(dtype)));
    }
  }
  kernels::IndexRef ref() const { return {data, stride, dtype}; }
};

/// Column member `name` of `view` (n elements) as an IndexColumn. Throws UnknownMember, or std::invalid_argument
/// when the member is a scalar or an Eigen column.
inline IndexColumn index_column(SoAView const& view, std::string const& name) {
  const Member& m = view.layout().member(name);
  if (m.shape.kind != MemberKind::column)
    throw std::invalid_argument("member '" + name + "' is not a column: ranges need an integer column");
  return {name, view.data(name), m.shape.dtype, 1, view.size()};
}

/// "CP": the logical tensor is [n, C, P] (ParticleNet's points and features); "PC": [n, P, C] (sequences).
enum class RaggedOrder { CP, PC };

class RaggedView {
 public:
  /// Ranges from an [n + 1] offsets column: parent i covers constituents [offsets[i], offsets[i + 1]). n < 0:
  /// the column's length - 1; else the column must have n + 1 entries.
  static RaggedView from_offsets(TensorView members, IndexColumn offsets, std::int64_t max_length,
                                 RaggedOrder order = RaggedOrder::CP, double pad = 0.0, std::int64_t n = -1) {
    if (n < 0) n = offsets.length - 1;
    if (offsets.length != n + 1)
      throw std::invalid_argument("offsets column '" + offsets.label + "' has " + std::to_string(offsets.length) +
                                  " entries for " + std::to_string(n) + " parents: it needs n + 1");
    return RaggedView(std::move(members), kernels::RangeKind::offsets, std::move(offsets), {}, n, max_length, order,
                      pad);
  }
  /// Ranges from begin and count columns of the parent collection (n entries each).
  static RaggedView from_begin_count(TensorView members, IndexColumn begin, IndexColumn count,
                                     std::int64_t max_length, RaggedOrder order = RaggedOrder::CP, double pad = 0.0) {
    if (count.length != begin.length)
      throw std::invalid_argument("count column '" + count.label + "' has " + std::to_string(count.length) +
                                  " entries, begin column '" + begin.label + "' has " + std::to_string(begin.length));
    const std::int64_t n = begin.length;
    return RaggedView(std::move(members), kernels::RangeKind::counts, std::move(begin), std::move(count), n,
                      max_length, order, pad);
  }
  /// Ranges from a parent index per constituent (m entries, sorted), over n parents (CMS: the constituent's
  /// jet index). The kernels find each range by bisection of that column.
  static RaggedView from_parents(TensorView members, IndexColumn parent, std::int64_t n, std::int64_t max_length,
                                 RaggedOrder order = RaggedOrder::CP, double pad = 0.0) {
    return RaggedView(std::move(members), kernels::RangeKind::parents, std::move(parent), {}, n, max_length, order,
                      pad);
  }

  /// The [n, 1, P] mask: 1 at valid positions, 0 at padding (dtype bool, converted to the model's on the fly).
  RaggedView mask() const {
    RaggedView m = *this;
    m.members_.features.clear();
    m.pad_ = 0.0;
    m.mask_ = true;
    m.order_ = RaggedOrder::CP;
    return m;
  }

  std::int64_t n() const { return n_; }
  std::int64_t max_length() const { return max_length_; }
  /// C: the member features (1 for the mask).
  std::int64_t channels() const { return mask_ ? 1 : static_cast<std::int64_t>(members_.features.size()); }
  /// Features per parent as a session binds them: C · P.
  std::int64_t features() const { return channels() * max_length_; }
  RaggedOrder order() const { return order_; }
  bool is_mask() const { return mask_; }
  double pad() const { return pad_; }
  kernels::RangeKind kind() const { return kind_; }
  /// The constituent columns (m elements each); none for the mask.
  TensorView const& members() const { return members_; }
  IndexColumn const& first() const { return first_; }
  IndexColumn const& second() const { return second_; }

  /// Checks the ranges in host memory, throwing std::invalid_argument that names the column and the first bad
  /// index: offsets that decrease, begin below 0, ranges past the m constituents, a parent index unsorted or
  /// outside [0, n), index columns of a wrong length or not of an integer dtype. `disjoint` (outputs, which
  /// are written at every valid position) also refuses begin/count ranges that overlap or go backwards.
  void validate(bool disjoint = false) const {
    const std::int64_t m = members_.n;
    auto bad = [](IndexColumn const& c, std::int64_t i, std::string const& why) {
      throw std::invalid_argument("ragged view: " + c.label + "[" + std::to_string(i) + "] = " +
                                  std::to_string(c[i]) + " " + why);
    };
    for (IndexColumn const* c : {&first_, &second_})
      if (c->data != nullptr && !is_integer(c->dtype))
        throw std::invalid_argument("ragged view: column '" + c->label + "' holds " + std::string(name_of(c->dtype)) +
                                    "; ranges need an integer column");
    if (kind_ == kernels::RangeKind::offsets) {
      if (first_[0] < 0) bad(first_, 0, "is negative");
      for (std::int64_t i = 1; i <= n_; ++i)
        if (first_[i] < first_[i - 1])
          bad(first_, i, "is below " + first_.label + "[" + std::to_string(i - 1) + "] = " +
                             std::to_string(first_[i - 1]) + ": offsets must not decrease");
      if (first_[n_] > m) bad(first_, n_, "is past the " + std::to_string(m) + " elements of the collection");
    } else if (kind_ == kernels::RangeKind::counts) {
      std::int64_t previous_end = 0;
      for (std::int64_t i = 0; i < n_; ++i) {
        const std::int64_t b = first_[i], c = second_[i];
        if (b < 0) bad(first_, i, "is negative");
        if (c < 0) bad(second_, i, "is negative");
        if (b + c > m)
          bad(second_, i, "with " + first_.label + "[" + std::to_string(i) + "] = " + std::to_string(b) +
                              " reaches past the " + std::to_string(m) + " elements of the collection");
        if (disjoint && b < previous_end)
          bad(first_, i, "starts inside the range of the parent before it (ending at " +
                             std::to_string(previous_end) + "): an output's ranges must be disjoint and in order");
        previous_end = b + c;
      }
    } else {
      if (first_.length != m)
        throw std::invalid_argument("ragged view: parent index '" + first_.label + "' has " +
                                    std::to_string(first_.length) + " entries, the collection has " +
                                    std::to_string(m));
      for (std::int64_t j = 0; j < m; ++j) {
        const std::int64_t p = first_[j];
        if (p < 0 || p >= n_) bad(first_, j, "is outside the " + std::to_string(n_) + " parents");
        if (j > 0 && p < first_[j - 1])
          bad(first_, j, "is below " + first_.label + "[" + std::to_string(j - 1) + "] = " +
                             std::to_string(first_[j - 1]) + ": constituents must be sorted by parent");
      }
    }
  }

  /// The FeatureRef of each of the features() positions, in the bound tensor's row-major order off the row axis
  /// ((c, p) for CP, (p, c) for PC).
  std::vector<kernels::FeatureRef> refs() const {
    std::vector<kernels::FeatureRef> out;
    const std::int64_t channels = this->channels(), total = features();
    out.reserve(static_cast<std::size_t>(total));
    for (std::int64_t f = 0; f < total; ++f) {
      const bool cp = order_ == RaggedOrder::CP;
      const std::int64_t c = cp ? f / max_length_ : f % channels, p = cp ? f % max_length_ : f / channels;
      const kernels::RowMap rows{kind_, first_.ref(), second_.ref(), p, members_.n, pad_};
      if (mask_) {
        out.push_back({nullptr, 0, DType::boolean, rows});
      } else {
        Feature const& m = members_.features[static_cast<std::size_t>(c)];
        out.push_back({m.data, m.stride, m.dtype, rows});
      }
    }
    return out;
  }

 private:
  RaggedView(TensorView members, kernels::RangeKind kind, IndexColumn first, IndexColumn second, std::int64_t n,
             std::int64_t max_length, RaggedOrder order, double pad)
      : members_(std::move(members)), kind_(kind), first_(std::move(first)), second_(std::move(second)), n_(n),
        max_length_(max_length), order_(order), pad_(pad) {
    if (max_length < 1) throw std::invalid_argument("max_length must be at least 1, got " + std::to_string(max_length));
    if (n < 0) throw std::invalid_argument("a ragged view needs n >= 0 parents, got " + std::to_string(n));
    if (members_.features.empty()) throw std::invalid_argument("a ragged view needs at least one member");
  }
  static bool is_integer(DType t) {
    return t != DType::float16 && t != DType::float32 && t != DType::float64 && t != DType::boolean;
  }

  TensorView members_;
  kernels::RangeKind kind_;
  IndexColumn first_, second_{};
  std::int64_t n_, max_length_;
  RaggedOrder order_;
  double pad_;
  bool mask_ = false;
};

}  // namespace sofie_soa::runtime
