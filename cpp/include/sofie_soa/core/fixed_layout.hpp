// sofie_soa/core/fixed_layout.hpp — a layout declared at compile time by a C++ producer.
//
//   constexpr auto kTracks = sofie_soa::make_fixed_layout(
//       sofie_soa::column<float>("pt"), sofie_soa::scalar<std::int32_t>("nTracks"),
//       sofie_soa::eigen_column<float, 5, 1>("state"));
//   static_assert(kTracks.byte_size(10) == 1024);
//
// Offsets follow declaration order (scalars are not moved), as CMS GENERATE_SOA_LAYOUT does. The same
// constexpr arithmetic (member.hpp) serves the runtime sofie_soa::Layout, and Layout::check_matches
// compares the two member by member.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sofie_soa/core/member.hpp"

namespace sofie_soa {

/// A named member whose name is a string literal; usable in constant expressions.
struct FixedMember {
  std::string_view name;
  MemberShape shape;
};

/// One value of T per element.
template <typename T> constexpr FixedMember column(std::string_view name) {
  return {name, {MemberKind::column, dtype_of<T>(), 1, 1}};
}
/// One value of T per collection, whatever the element count.
template <typename T> constexpr FixedMember scalar(std::string_view name) {
  return {name, {MemberKind::scalar, dtype_of<T>(), 1, 1}};
}
/// A fixed-size Rows x Cols matrix of T per element (a vector when Cols == 1), stored coefficient by coefficient.
template <typename T, int Rows, int Cols = 1> constexpr FixedMember eigen_column(std::string_view name) {
  static_assert(Rows > 0 && Cols > 0, "Eigen column dimensions must be positive");
  return {name, {MemberKind::eigen_column, dtype_of<T>(), Rows, Cols}};
}

/// K members in declaration order with an alignment in bytes (a power of two, default 128).
template <std::size_t K> struct FixedLayout {
  std::array<FixedMember, K> members;
  std::size_t alignment = kDefaultAlignment;

  /// computeDataSize(n): bytes of a buffer holding n elements.
  constexpr std::size_t byte_size(std::int64_t n) const {
    std::size_t total = 0;
    for (const auto& m : members) total += member_bytes(m.shape, n, alignment);
    return total;
  }
  /// Index of the member called `name`, or K when there is none.
  constexpr std::size_t index_of(std::string_view name) const {
    for (std::size_t i = 0; i < K; ++i)
      if (members[i].name == name) return i;
    return K;
  }
  /// Byte offset of member i from the buffer start for n elements.
  constexpr std::size_t offset(std::size_t i, std::int64_t n) const {
    std::size_t at = 0;
    for (std::size_t j = 0; j < i; ++j) at += member_bytes(members[j].shape, n, alignment);
    return at;
  }
  /// Byte offset of the member called `name` (compile error in a constant expression if absent).
  constexpr std::size_t offset(std::string_view name, std::int64_t n) const {
    return offset(index_of(name), n);
  }
};

/// Builds a FixedLayout with the default 128-byte alignment.
template <typename... M> constexpr FixedLayout<sizeof...(M)> make_fixed_layout(M... members) {
  return {{{members...}}, kDefaultAlignment};
}

/// Builds a FixedLayout with an explicit alignment in bytes.
template <typename... M>
constexpr FixedLayout<sizeof...(M)> make_fixed_layout_aligned(std::size_t alignment, M... members) {
  return {{{members...}}, alignment};
}

}  // namespace sofie_soa
