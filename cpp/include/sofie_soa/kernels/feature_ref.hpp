// sofie_soa/kernels/feature_ref.hpp — how a session is handed one SoA feature: the ABI between the front doors
// (C++ views, the Python binding) and the kernels' accessors. Alpaka-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sofie_soa/core/dtype.hpp"

namespace sofie_soa::kernels {

/// One SoA feature as a kernel sees it; element i is at data + i * stride elements of dtype (stride 0: a
/// broadcast scalar).
struct FeatureRef {
  std::byte* data;
  std::int64_t stride;
  DType dtype;
};

}  // namespace sofie_soa::kernels
