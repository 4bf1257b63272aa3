// sofie_soa/kernels/feature_ref.hpp — how a session is handed one SoA feature: the ABI between the front doors
// (C++ views, the Python binding) and the kernels' accessors. Alpaka-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sofie_soa/core/dtype.hpp"

namespace sofie_soa::kernels {

/// One integer column of index data: element i at data + i * stride elements of dtype.
struct IndexRef {
  std::byte const* data = nullptr;
  std::int64_t stride = 1;
  DType dtype = DType::int32;
};

/// How the ranges of a ragged tensor are given (runtime/ragged.hpp).
enum class RangeKind : std::int32_t {
  none,     ///< a plain feature: row r is element r
  offsets,  ///< row i covers elements [first[i], first[i + 1]): an [n + 1] offsets column
  counts,   ///< row i covers elements [first[i], first[i] + second[i]): begin and count columns
  parents,  ///< row i covers the elements whose parent index first[j] is i, sorted by parent (m of them)
};

/// Which collection element row i of a ragged tensor reads at this feature's position p: element begin(i) + p
/// when p < length(i), else none (the pad value, or nothing written). `size` is the collection's element count m:
/// ranges are clamped to [0, m), so no index makes a kernel read or write outside it.
struct RowMap {
  RangeKind kind = RangeKind::none;
  IndexRef first, second;
  std::int64_t position = 0;
  std::int64_t size = 0;
  double pad = 0.0;  ///< the value of a position past the row's length (converted to the tensor's type)
};

/// One SoA feature as a kernel sees it; element i is at data + i * stride elements of dtype (stride 0: a
/// broadcast scalar). With rows.kind != none, row i reads element rows(i) instead (RowMap); data == nullptr
/// there stands for the constant 1 at every valid position (a ragged tensor's mask).
struct FeatureRef {
  std::byte* data;
  std::int64_t stride;
  DType dtype;
  RowMap rows{};
};

}  // namespace sofie_soa::kernels
