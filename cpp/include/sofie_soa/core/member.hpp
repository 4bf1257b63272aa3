// sofie_soa/core/member.hpp — one member of an SoA layout and the bytes it occupies.
//
// Byte rules from CMS DataFormats/SoATemplate (SoACommon.h alignSize, SoALayout.h), for element count n
// and alignment A (bytes, a power of two):
//   scalar of T             alignSize(sizeof(T), A)            — one slot, whatever n is
//   column of T             alignSize(n * sizeof(T), A)
//   Eigen column R x C of S R * C * alignSize(n * sizeof(S), A) — coefficient k = r + R * c (column-major)
//                                                                 of element i at i + k * stride elements
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sofie_soa/core/dtype.hpp"

namespace sofie_soa {

/// Largest element count a CMS layout accepts: its size type is a signed 32-bit int (cms_int32_t).
constexpr std::int64_t kMaxElements = (std::int64_t{1} << 31) - 1;

/// The CMS default alignment: 128 bytes, the NVIDIA cache line.
constexpr std::size_t kDefaultAlignment = 128;

/// The largest alignment a layout accepts, in bytes (64 KiB: CMS uses 128; page alignment is 4096).
constexpr std::size_t kMaxAlignment = std::size_t{1} << 16;

/// The largest byte size of a member or a whole buffer: sizes and offsets stay below 2^62 bytes, so that no
/// arithmetic on them (here, in views, in DLPack strides) can wrap.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 62;

enum class MemberKind : std::uint8_t { column, scalar, eigen_column };

/// What the byte arithmetic needs to know of a member: its kind, element dtype and (Eigen) shape.
/// Plain columns and scalars have rows = cols = 1.
struct MemberShape {
  MemberKind kind = MemberKind::column;
  DType dtype = DType::float32;
  std::int32_t rows = 1;
  std::int32_t cols = 1;

  /// Number of coefficients per element: rows * cols (1 for columns and scalars).
  constexpr std::int64_t coefficients() const { return std::int64_t{rows} * cols; }
  friend constexpr bool operator==(const MemberShape& a, const MemberShape& b) {
    return a.kind == b.kind && a.dtype == b.dtype && a.rows == b.rows && a.cols == b.cols;
  }
  friend constexpr bool operator!=(const MemberShape& a, const MemberShape& b) { return !(a == b); }
};

/// alignSize(s, A) = ceil(s / A) * A, in bytes (CMS SoACommon.h). A must be a power of two.
constexpr std::size_t align_size(std::size_t bytes, std::size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

constexpr bool is_power_of_two(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/// Padded byte length of one column slot of `shape` for n elements: alignSize(n * sizeof(T), A) for columns
/// and each Eigen coefficient, alignSize(sizeof(T), A) for scalars. This is the member's pitch in bytes.
constexpr std::size_t pitch_bytes(const MemberShape& shape, std::int64_t n, std::size_t alignment) {
  const std::size_t elements = shape.kind == MemberKind::scalar ? 1 : static_cast<std::size_t>(n);
  return align_size(elements * size_of(shape.dtype), alignment);
}

/// Distance in elements between coefficient k and k + 1 of an Eigen column (CMS "stride"), or between
/// the columns of adjacent same-dtype members: pitch_bytes / sizeof(T).
constexpr std::int64_t pitch_elements(const MemberShape& shape, std::int64_t n, std::size_t alignment) {
  return static_cast<std::int64_t>(pitch_bytes(shape, n, alignment) / size_of(shape.dtype));
}

/// Bytes the member occupies in the buffer: rows * cols * pitch_bytes. Callers keep n <= kMaxElements and use
/// layouts whose members pass fits_max_bytes, so the product does not wrap.
constexpr std::size_t member_bytes(const MemberShape& shape, std::int64_t n, std::size_t alignment) {
  return static_cast<std::size_t>(shape.coefficients()) * pitch_bytes(shape, n, alignment);
}

/// Whether the member's bytes at the largest element count are at most kMaxBytes (computed without wrapping:
/// the pitch is below 2^35 bytes for alignments up to kMaxAlignment, so the quotient test is exact).
constexpr bool fits_max_bytes(const MemberShape& shape, std::size_t alignment) {
  const std::uint64_t pitch = pitch_bytes(shape, kMaxElements, alignment);
  return shape.coefficients() > 0 && static_cast<std::uint64_t>(shape.coefficients()) <= kMaxBytes / pitch;
}

}  // namespace sofie_soa
