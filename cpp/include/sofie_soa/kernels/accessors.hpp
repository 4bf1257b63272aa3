// sofie_soa/kernels/accessors.hpp — how kernels read and write tensors, viewed as [rows, cols] with a flat
// row-major index.
//
//   StridedIn / StridedOut: SoA features read and written in place — per feature (column) an address, a dtype and
//     an element stride (0 = broadcast scalar). Loads convert any numeric dtype to float on the fly (int32 hit
//     counts feed a float model); stores convert float to the column's dtype.
//   DenseIn / DenseOut: contiguous row-major float32 tensors (workspace, weights).
// All are trivially copyable kernel arguments.
#pragma once

#include <cstdint>
#include <cstring>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/core/dtype.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"

namespace sofie_soa::kernels {

/// IEEE binary16 bits to float (exact).
ALPAKA_FN_HOST_ACC inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) { mantissa <<= 1; --exponent; }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <class T> ALPAKA_FN_HOST_ACC inline T read_as(std::byte const* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

ALPAKA_FN_HOST_ACC inline float load_feature(FeatureRef const& f, std::int64_t row) {
  std::byte const* p = f.data + row * f.stride * static_cast<std::int64_t>(size_of(f.dtype));
  switch (f.dtype) {
    case DType::float32: return read_as<float>(p);
    case DType::float64: return static_cast<float>(read_as<double>(p));
    case DType::float16: return half_to_float(read_as<std::uint16_t>(p));
    case DType::int8: return read_as<std::int8_t>(p);
    case DType::int16: return read_as<std::int16_t>(p);
    case DType::int32: return static_cast<float>(read_as<std::int32_t>(p));
    case DType::int64: return static_cast<float>(read_as<std::int64_t>(p));
    case DType::uint8: return read_as<std::uint8_t>(p);
    case DType::uint16: return read_as<std::uint16_t>(p);
    case DType::uint32: return static_cast<float>(read_as<std::uint32_t>(p));
    case DType::uint64: return static_cast<float>(read_as<std::uint64_t>(p));
    case DType::boolean: return read_as<std::uint8_t>(p) != 0 ? 1.f : 0.f;
  }
  return 0.f;
}

template <class T> ALPAKA_FN_HOST_ACC inline void write_as(std::byte* p, T v) { std::memcpy(p, &v, sizeof v); }

/// Stores v converted to the feature's dtype (float16 output is refused at compile time by the Python side).
ALPAKA_FN_HOST_ACC inline void store_feature(FeatureRef const& f, std::int64_t row, float v) {
  std::byte* p = f.data + row * f.stride * static_cast<std::int64_t>(size_of(f.dtype));
  switch (f.dtype) {
    case DType::float32: write_as(p, v); break;
    case DType::float64: write_as(p, static_cast<double>(v)); break;
    case DType::int8: write_as(p, static_cast<std::int8_t>(v)); break;
    case DType::int16: write_as(p, static_cast<std::int16_t>(v)); break;
    case DType::int32: write_as(p, static_cast<std::int32_t>(v)); break;
    case DType::int64: write_as(p, static_cast<std::int64_t>(v)); break;
    case DType::uint8: write_as(p, static_cast<std::uint8_t>(v)); break;
    case DType::uint16: write_as(p, static_cast<std::uint16_t>(v)); break;
    case DType::uint32: write_as(p, static_cast<std::uint32_t>(v)); break;
    case DType::uint64: write_as(p, static_cast<std::uint64_t>(v)); break;
    case DType::boolean: write_as(p, static_cast<std::uint8_t>(v != 0.f)); break;
    case DType::float16: break;
  }
}

/// out[r] = feature f of rows first + r, r < count, converted to float: the dtype dispatched once, not per row.
ALPAKA_FN_HOST_ACC inline void load_rows(FeatureRef const& f, std::int64_t first, std::int64_t count, float* out) {
  auto rows = [&](auto type_tag) {
    using T = decltype(type_tag);
    std::byte const* p = f.data + first * f.stride * static_cast<std::int64_t>(sizeof(T));
    const auto size = static_cast<std::int64_t>(sizeof(T));
    if (f.stride == 1) {  // a column: contiguous, so the loop vectorises
      for (std::int64_t r = 0; r < count; ++r) out[r] = static_cast<float>(read_as<T>(p + r * size));
    } else {
      for (std::int64_t r = 0; r < count; ++r) out[r] = static_cast<float>(read_as<T>(p + r * f.stride * size));
    }
  };
  switch (f.dtype) {
    case DType::float32: rows(float{}); break;
    case DType::float64: rows(double{}); break;
    case DType::int8: rows(std::int8_t{}); break;
    case DType::int16: rows(std::int16_t{}); break;
    case DType::int32: rows(std::int32_t{}); break;
    case DType::int64: rows(std::int64_t{}); break;
    case DType::uint8: rows(std::uint8_t{}); break;
    case DType::uint16: rows(std::uint16_t{}); break;
    case DType::uint32: rows(std::uint32_t{}); break;
    case DType::uint64: rows(std::uint64_t{}); break;
    default:
      for (std::int64_t r = 0; r < count; ++r) out[r] = load_feature(f, first + r);
  }
}

/// Asks the CPU to bring the bytes [begin, end) into cache (a hint: no effect on results, none on GPUs).
ALPAKA_FN_HOST_ACC inline void prefetch_bytes(std::byte const* begin, std::byte const* end, std::int64_t step) {
#if !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__) && (defined(__GNUC__) || defined(__clang__))
  for (std::byte const* p = begin; p < end; p += step) __builtin_prefetch(p);
#else
  (void)begin, (void)end, (void)step;
#endif
}

/// Feature f of rows first + r, r < count, set to in[r] converted to its dtype: dispatched once, not per row.
ALPAKA_FN_HOST_ACC inline void store_rows(FeatureRef const& f, std::int64_t first, std::int64_t count,
                                          float const* in) {
  auto rows = [&](auto type_tag) {
    using T = decltype(type_tag);
    const auto size = static_cast<std::int64_t>(sizeof(T));
    std::byte* p = f.data + first * f.stride * size;
    for (std::int64_t r = 0; r < count; ++r) write_as(p + r * f.stride * size, static_cast<T>(in[r]));
  };
  switch (f.dtype) {
    case DType::float32: rows(float{}); break;
    case DType::float64: rows(double{}); break;
    default:
      for (std::int64_t r = 0; r < count; ++r) store_feature(f, first + r, in[r]);
  }
}

struct StridedIn {
  FeatureRef const* features;  ///< cols entries
  std::int64_t cols;
  ALPAKA_FN_HOST_ACC float at(std::int64_t row, std::int64_t col) const { return load_feature(features[col], row); }
  /// out[r] = at(first + r, col) for r < count.
  ALPAKA_FN_HOST_ACC void column(std::int64_t first, std::int64_t count, std::int64_t col, float* out) const {
    load_rows(features[col], first, count, out);
  }
  /// Prefetch hint for rows [first, first + count) of every feature: a line per 64 bytes, or per row when rows
  /// are 64 bytes or more apart; a feature whose first row shares the previous feature's cache line (features
  /// interleaved, as in a row-major array) is covered by that one's.
  ALPAKA_FN_HOST_ACC void prefetch(std::int64_t first, std::int64_t count) const {
    std::uintptr_t last_line = 0;
    for (std::int64_t c = 0; c < cols; ++c) {
      FeatureRef const& f = features[c];
      const std::int64_t pitch = f.stride * static_cast<std::int64_t>(size_of(f.dtype));
      std::byte const* begin = f.data + first * pitch;
      const std::uintptr_t line = reinterpret_cast<std::uintptr_t>(begin) / 64;
      if (pitch == 0 || line == last_line) continue;
      last_line = line;
      prefetch_bytes(begin, begin + count * pitch, pitch < 64 ? 64 : pitch);
    }
  }
  ALPAKA_FN_HOST_ACC float operator[](std::int64_t flat) const { return at(flat / cols, flat % cols); }
  /// The start of the features when they are the columns of a row-major float32 matrix (feature c at
  /// features[0].data + 4 c, one row stride of at least cols elements for all), with that stride in `pitch`;
  /// nullptr otherwise.
  ALPAKA_FN_HOST_ACC float const* row_major(std::int64_t& pitch) const {
    pitch = features[0].stride;
    if (pitch < cols) return nullptr;
    for (std::int64_t c = 0; c < cols; ++c)
      if (features[c].dtype != DType::float32 || features[c].stride != pitch ||
          features[c].data != features[0].data + c * static_cast<std::int64_t>(sizeof(float)))
        return nullptr;
    return reinterpret_cast<float const*>(features[0].data);
  }
};

struct StridedOut {
  FeatureRef const* features;
  std::int64_t cols;
  ALPAKA_FN_HOST_ACC void set(std::int64_t row, std::int64_t col, float v) const { store_feature(features[col], row, v); }
  ALPAKA_FN_HOST_ACC void store(std::int64_t flat, float v) const { set(flat / cols, flat % cols, v); }
  /// set(first + r, col, in[r]) for r < count.
  ALPAKA_FN_HOST_ACC void column_store(std::int64_t first, std::int64_t count, std::int64_t col, float const* in) const {
    store_rows(features[col], first, count, in);
  }
};

struct DenseIn {
  float const* data;
  std::int64_t cols;
  ALPAKA_FN_HOST_ACC float at(std::int64_t row, std::int64_t col) const { return data[row * cols + col]; }
  ALPAKA_FN_HOST_ACC void column(std::int64_t first, std::int64_t count, std::int64_t col, float* out) const {
    for (std::int64_t r = 0; r < count; ++r) out[r] = data[(first + r) * cols + col];
  }
  ALPAKA_FN_HOST_ACC float const* row_major(std::int64_t& pitch) const {
    pitch = cols;
    return data;
  }
  ALPAKA_FN_HOST_ACC void prefetch(std::int64_t first, std::int64_t count) const {
    prefetch_bytes(reinterpret_cast<std::byte const*>(data + first * cols),
                   reinterpret_cast<std::byte const*>(data + (first + count) * cols), 64);
  }
  ALPAKA_FN_HOST_ACC float operator[](std::int64_t flat) const { return data[flat]; }
};

struct DenseOut {
  float* data;
  std::int64_t cols;
  ALPAKA_FN_HOST_ACC void set(std::int64_t row, std::int64_t col, float v) const { data[row * cols + col] = v; }
  ALPAKA_FN_HOST_ACC void store(std::int64_t flat, float v) const { data[flat] = v; }
  ALPAKA_FN_HOST_ACC void column_store(std::int64_t first, std::int64_t count, std::int64_t col, float const* in) const {
    for (std::int64_t r = 0; r < count; ++r) data[(first + r) * cols + col] = in[r];
  }
};

}  // namespace sofie_soa::kernels
