// sofie_soa/core/layout.hpp — a runtime SoA layout: ordered members, alignment, byte arithmetic.
//
// Byte-compatible with CMS GENERATE_SOA_LAYOUT (DataFormats/SoATemplate/interface/SoALayout.h): members in
// declaration order, each padded to the alignment (member.hpp gives the per-member rules). This is the
// single implementation of the arithmetic; the Python package binds it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sofie_soa/core/fixed_layout.hpp"
#include "sofie_soa/core/member.hpp"

namespace sofie_soa {

/// Raised when a member name is not in a layout (bound to Python's KeyError).
struct UnknownMember : std::out_of_range {
  using std::out_of_range::out_of_range;
};

struct Member {
  std::string name;
  MemberShape shape;
};

/// Throws std::invalid_argument unless 0 <= n < 2^31 (CMS element counts are cms_int32_t).
inline void check_element_count(std::int64_t n) {
  if (n < 0 || n > kMaxElements)
    throw std::invalid_argument("element count n = " + std::to_string(n) +
                                " is out of range: CMS layouts hold 0 <= n < 2^31 elements");
}

class Layout {
 public:
  /// Validates and stores the members. Throws std::invalid_argument when the list is empty, a name is not a
  /// C++ identifier or is repeated, an Eigen shape is not positive, the alignment (bytes) is not a power of two
  /// between every element's size and kMaxAlignment, or a member (or the whole buffer) would exceed kMaxBytes at
  /// the largest element count (kMaxElements) — so that no size or offset computed later can wrap.
  Layout(std::vector<Member> members, std::size_t alignment = kDefaultAlignment, bool enforce_alignment = false)
      : members_(std::move(members)), alignment_(alignment), enforce_alignment_(enforce_alignment) {
    if (members_.empty()) throw std::invalid_argument("a layout needs at least one member");
    if (!is_power_of_two(alignment_))
      throw std::invalid_argument("alignment " + std::to_string(alignment_) + " bytes is not a power of two");
    if (alignment_ > kMaxAlignment)
      throw std::invalid_argument("alignment " + std::to_string(alignment_) + " bytes exceeds the maximum of " +
                                  std::to_string(kMaxAlignment) + " bytes");
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      const Member& m = members_[i];
      if (!is_identifier(m.name))
        throw std::invalid_argument("member name '" + m.name + "' is not a C++ identifier");
      for (std::size_t j = 0; j < i; ++j)
        if (members_[j].name == m.name) throw std::invalid_argument("duplicate member name '" + m.name + "'");
      if (m.shape.rows < 1 || m.shape.cols < 1)
        throw std::invalid_argument("Eigen column '" + m.name + "' has shape (" + std::to_string(m.shape.rows) +
                                    ", " + std::to_string(m.shape.cols) + "): rows and cols must be >= 1");
      if (size_of(m.shape.dtype) > alignment_)
        throw std::invalid_argument("alignment " + std::to_string(alignment_) + " bytes is smaller than member '" +
                                    m.name + "' element (" + std::string(name_of(m.shape.dtype)) + ", " +
                                    std::to_string(size_of(m.shape.dtype)) + " bytes)");
      if (!fits_max_bytes(m.shape, alignment_))
        throw std::invalid_argument("member '" + m.name + "' (" + std::to_string(m.shape.rows) + " x " +
                                    std::to_string(m.shape.cols) + " coefficients) would occupy more than 2^62 "
                                    "bytes at the largest element count (2^31 - 1)");
      total += member_bytes(m.shape, kMaxElements, alignment_);  // each term < 2^62: the sum cannot wrap yet
      if (total > kMaxBytes)
        throw std::invalid_argument("the layout would occupy more than 2^62 bytes at the largest element count "
                                    "(2^31 - 1), first exceeded at member '" + m.name + "'");
    }
  }

  /// A runtime copy of a compile-time layout.
  template <std::size_t K>
  explicit Layout(const FixedLayout<K>& fixed, bool enforce_alignment = false)
      : Layout(to_members(fixed), fixed.alignment, enforce_alignment) {}

  const std::vector<Member>& members() const { return members_; }
  std::size_t alignment() const { return alignment_; }
  bool enforce_alignment() const { return enforce_alignment_; }

  /// Index of member `name`. Throws UnknownMember listing the layout's members.
  std::size_t index_of(const std::string& name) const {
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (members_[i].name == name) return i;
    std::string known;
    for (const auto& m : members_) known += (known.empty() ? "" : ", ") + m.name;
    throw UnknownMember("no member '" + name + "' in layout (members: " + known + ")");
  }
  const Member& member(const std::string& name) const { return members_[index_of(name)]; }

  /// computeDataSize(n): bytes of a buffer holding n elements. Throws for n outside [0, 2^31).
  std::size_t byte_size(std::int64_t n) const {
    check_element_count(n);
    std::size_t total = 0;
    for (const auto& m : members_) total += member_bytes(m.shape, n, alignment_);
    return total;
  }
  /// Byte offset of every member from the buffer start, in declaration order.
  std::vector<std::size_t> offsets(std::int64_t n) const {
    check_element_count(n);
    std::vector<std::size_t> out;
    std::size_t at = 0;
    for (const auto& m : members_) {
      out.push_back(at);
      at += member_bytes(m.shape, n, alignment_);
    }
    return out;
  }
  std::size_t offset(const std::string& name, std::int64_t n) const { return offsets(n)[index_of(name)]; }
  /// Padded bytes of one column slot of `name` (alignSize(n * sizeof(T), A); one slot for scalars).
  std::size_t pitch_bytes(const std::string& name, std::int64_t n) const {
    check_element_count(n);
    return sofie_soa::pitch_bytes(member(name).shape, n, alignment_);
  }
  /// The same pitch in elements of the member's dtype: the Eigen coefficient stride.
  std::int64_t pitch_elements(const std::string& name, std::int64_t n) const {
    check_element_count(n);
    return sofie_soa::pitch_elements(member(name).shape, n, alignment_);
  }
  /// Largest element size in bytes: the base alignment every buffer needs for typed access.
  std::size_t max_element_size() const {
    std::size_t s = 1;
    for (const auto& m : members_) s = std::max(s, size_of(m.shape.dtype));
    return s;
  }

  /// Throws std::invalid_argument naming the first difference between this layout and a compile-time one
  /// (member count, alignment, or a member's name, kind, dtype or Eigen shape).
  template <std::size_t K> void check_matches(const FixedLayout<K>& fixed) const {
    if (fixed.alignment != alignment_)
      throw std::invalid_argument("alignment differs: " + std::to_string(alignment_) + " bytes here, " +
                                  std::to_string(fixed.alignment) + " in the compile-time layout");
    if (K != members_.size())
      throw std::invalid_argument("member count differs: " + std::to_string(members_.size()) + " here, " +
                                  std::to_string(K) + " in the compile-time layout");
    for (std::size_t i = 0; i < K; ++i) {
      const Member& m = members_[i];
      if (fixed.members[i].name != m.name)
        throw std::invalid_argument("member " + std::to_string(i) + " is '" + m.name + "' here and '" +
                                    std::string(fixed.members[i].name) + "' in the compile-time layout");
      if (fixed.members[i].shape != m.shape)
        throw std::invalid_argument("member '" + m.name + "' differs in kind, dtype or Eigen shape from the "
                                    "compile-time layout");
    }
  }

 private:
  static bool is_identifier(const std::string& s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s)
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
  }
  template <std::size_t K> static std::vector<Member> to_members(const FixedLayout<K>& fixed) {
    std::vector<Member> out;
    for (const auto& m : fixed.members) out.push_back({std::string(m.name), m.shape});
    return out;
  }

  std::vector<Member> members_;
  std::size_t alignment_;
  bool enforce_alignment_;
};

}  // namespace sofie_soa
