// sofie_soa/kernels/index_map.hpp — strided index arithmetic over up to kMaxRank dimensions, shared by the
// broadcasting binary kernel and the copy kernel (Transpose, Concat, materialised Reshape).
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

namespace sofie_soa::kernels {

constexpr int kMaxRank = 6;

/// An index space `extent[0..rank)` walked in row-major order, with per-dimension element strides into up to
/// three tensors (0 where a tensor is broadcast along that dimension).
struct IndexMap {
  int rank = 0;
  std::int64_t extent[kMaxRank] = {};
  std::int64_t stride[3][kMaxRank] = {};
  std::int64_t offset[3] = {};

  /// Flat element offset into tensor t of the index-space position `flat`.
  ALPAKA_FN_HOST_ACC std::int64_t operator()(int t, std::int64_t flat) const {
    std::int64_t at = offset[t];
    for (int d = rank - 1; d >= 0; --d) {
      at += (flat % extent[d]) * stride[t][d];
      flat /= extent[d];
    }
    return at;
  }
  ALPAKA_FN_HOST_ACC std::int64_t count() const {
    std::int64_t c = 1;
    for (int d = 0; d < rank; ++d) c *= extent[d];
    return c;
  }
};

}  // namespace sofie_soa::kernels

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace sofie_soa::kernels {

/// Row-major element strides of `shape`.
inline std::vector<std::int64_t> row_major_strides(std::vector<std::int64_t> const& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

/// Index map of `out = op(a, b)` with ONNX multidirectional broadcasting (shapes aligned on the right;
/// a dimension of extent 1 is broadcast). Throws std::invalid_argument for incompatible shapes or rank > 6.
inline IndexMap broadcast_map(std::vector<std::int64_t> const& out, std::vector<std::int64_t> const& a,
                              std::vector<std::int64_t> const& b) {
  if (out.size() > static_cast<std::size_t>(kMaxRank))
    throw std::invalid_argument("broadcast of rank " + std::to_string(out.size()) + " exceeds " + std::to_string(kMaxRank));
  IndexMap map;
  map.rank = static_cast<int>(out.size());
  const std::vector<std::int64_t>* operands[2] = {&a, &b};
  for (int t = 0; t < 2; ++t) {
    const auto& shape = *operands[t];
    const auto strides = row_major_strides(shape);
    const std::size_t lead = out.size() - shape.size();
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] != out[lead + d] && shape[d] != 1)
        throw std::invalid_argument("cannot broadcast extent " + std::to_string(shape[d]) + " to " +
                                    std::to_string(out[lead + d]));
      map.stride[t][lead + d] = shape[d] == 1 ? 0 : strides[d];
    }
  }
  const auto out_strides = row_major_strides(out);
  for (std::size_t d = 0; d < out.size(); ++d) {
    map.extent[d] = out[d];
    map.stride[2][d] = out_strides[d];
  }
  return map;
}

/// Index map of Transpose: walks the output (shape permuted) and reads input dimension perm[d].
inline IndexMap transpose_map(std::vector<std::int64_t> const& in, std::vector<std::int64_t> const& perm) {
  IndexMap map;
  map.rank = static_cast<int>(in.size());
  const auto in_strides = row_major_strides(in);
  std::vector<std::int64_t> out(in.size());
  for (std::size_t d = 0; d < in.size(); ++d) out[d] = in[perm[d]];
  const auto out_strides = row_major_strides(out);
  for (std::size_t d = 0; d < in.size(); ++d) {
    map.extent[d] = out[d];
    map.stride[0][d] = in_strides[perm[d]];
    map.stride[2][d] = out_strides[d];
  }
  return map;
}

/// Index map copying one Concat input viewed as [outer, chunk] into columns [offset, offset + chunk) of an
/// output viewed as [outer, total].
inline IndexMap concat_map(std::int64_t outer, std::int64_t chunk, std::int64_t total, std::int64_t offset) {
  IndexMap map;
  map.rank = 2;
  map.extent[0] = outer;
  map.extent[1] = chunk;
  map.stride[0][0] = chunk;
  map.stride[0][1] = 1;
  map.stride[2][0] = total;
  map.stride[2][1] = 1;
  map.offset[2] = offset;
  return map;
}

}  // namespace sofie_soa::kernels
