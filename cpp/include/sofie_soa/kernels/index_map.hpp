// sofie_soa/kernels/index_map.hpp — strided index arithmetic over up to kMaxRank dimensions for K tensors at once.
//
// An IndexMap walks an index space extent[0..rank) in row-major order; position `flat` of it is element
//   offset[t] + sum_d index_d * stride[t][d]
// of tensor t (by that tensor's own flat row-major index). Broadcasting is a stride of 0, a transpose a permuted
// stride, a slice a start offset and scaled (possibly negative) strides. The compiler computes every map
// (codegen/index_maps.py), merging dimensions that stay contiguous for all tensors, and emits it as an aggregate.
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

namespace sofie_soa::kernels {

constexpr int kMaxRank = 8;

template <int K> struct IndexMap {
  int rank = 0;
  std::int64_t extent[kMaxRank] = {};
  std::int64_t stride[K][kMaxRank] = {};
  std::int64_t offset[K] = {};

  /// at[t] = the element of tensor t at position `flat`, for every t.
  ALPAKA_FN_HOST_ACC void locate(std::int64_t flat, std::int64_t (&at)[K]) const {
    for (int t = 0; t < K; ++t) at[t] = offset[t];
    if (rank == 1) {
      for (int t = 0; t < K; ++t) at[t] += flat * stride[t][0];
      return;
    }
    for (int d = rank - 1; d >= 0; --d) {
      const std::int64_t q = flat / extent[d];
      const std::int64_t i = flat - q * extent[d];
      for (int t = 0; t < K; ++t) at[t] += i * stride[t][d];
      flat = q;
    }
  }
  /// The element of tensor t at position `flat`.
  ALPAKA_FN_HOST_ACC std::int64_t operator()(int t, std::int64_t flat) const {
    std::int64_t at = offset[t];
    for (int d = rank - 1; d >= 0; --d) {
      const std::int64_t q = flat / extent[d];
      at += (flat - q * extent[d]) * stride[t][d];
      flat = q;
    }
    return at;
  }
  /// Positions in the index space.
  ALPAKA_FN_HOST_ACC std::int64_t count() const {
    std::int64_t c = 1;
    for (int d = 0; d < rank; ++d) c *= extent[d];
    return c;
  }
};

}  // namespace sofie_soa::kernels
