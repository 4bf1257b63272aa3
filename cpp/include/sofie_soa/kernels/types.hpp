// sofie_soa/kernels/types.hpp — the element types kernels compute in and the conversions between them.
//
//   Half                 IEEE binary16 storage (ONNX FLOAT16); arithmetic on it runs in float (compute_t).
//   cast<To>(v)          ONNX Cast semantics: float -> integer truncates toward zero, NaN gives 0 and values
//                        beyond the range saturate (ONNX leaves them undefined; here they are defined);
//                        integer -> narrower integer wraps (NumPy's astype); anything -> bool is v != 0.
//   saturate<To>(v)      the conversion of a caller's column to a model tensor and back (accessors.hpp): equal to
//                        cast wherever the conversion keeps the value (compiler/dtypes.py `lossless`), and where it
//                        does not (only when the caller asked for cast="saturate") rounds half to even, clamps
//                        to the target's range and maps NaN to 0.
//   visit(dtype, f)      calls f(T{}) with the C++ type of a runtime DType.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/core/dtype.hpp"

namespace sofie_soa::kernels {

/// IEEE binary16, stored as its bits.
struct Half {
  std::uint16_t bits;
};

/// binary16 bits to float (exact).
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
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// float to binary16, rounded to nearest even; overflow gives infinity, NaN stays NaN.
ALPAKA_FN_HOST_ACC inline std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // inf or NaN
    return static_cast<std::uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u));
  if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds beyond 65504
  if (magnitude < 0x38800000u) {  // subnormal half (or zero): shift the mantissa with its implicit bit
    if (magnitude < 0x33000000u) return sign;  // below half the smallest subnormal: +-0
    const std::uint32_t exponent = magnitude >> 23;
    const std::uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exponent;  // 14 .. 24
    std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = ((magnitude >> 13) - (112u << 10));
  const std::uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

template <class T> struct is_half : std::false_type {};
template <> struct is_half<Half> : std::true_type {};

/// The type arithmetic on T runs in: float for Half, T otherwise.
template <class T> using compute_t = std::conditional_t<is_half<T>::value, float, T>;

/// A value of T as its compute type.
template <class T> ALPAKA_FN_HOST_ACC inline compute_t<T> compute(T v) {
  if constexpr (is_half<T>::value) {
    return half_to_float(v.bits);
  } else {
    return v;
  }
}

/// Round half to even (the IEEE default rounding of rint, without depending on the rounding mode).
ALPAKA_FN_HOST_ACC inline double round_half_even(double x) {
  if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) return x;  // |x| >= 2^52 (or NaN): already integral
  const double lower = static_cast<double>(static_cast<long long>(x)) - (x < 0 ? 1.0 : 0.0);  // floor, |x| < 2^63
  const double floored = (lower + 1.0 <= x) ? lower + 1.0 : lower;
  const double fraction = x - floored;
  if (fraction > 0.5) return floored + 1.0;
  if (fraction < 0.5) return floored;
  return static_cast<long long>(floored) % 2 == 0 ? floored : floored + 1.0;
}

/// ONNX Cast from From to To (see the header comment).
template <class To, class From> ALPAKA_FN_HOST_ACC inline To cast(From v) {
  if constexpr (is_half<From>::value) {
    return cast<To>(half_to_float(v.bits));
  } else if constexpr (is_half<To>::value) {
    return Half{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (!(v == v)) return To(0);
    if (v <= static_cast<From>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);  // float <-> float (rounded), integer -> float, integer -> integer (wraps)
  }
}

/// The saturating conversion of a column value (see the header comment).
template <class To, class From> ALPAKA_FN_HOST_ACC inline To saturate(From v) {
  if constexpr (is_half<From>::value) {
    return saturate<To>(half_to_float(v.bits));
  } else if constexpr (is_half<To>::value || std::is_floating_point_v<To>) {
    return cast<To>(v);
  } else if constexpr (std::is_floating_point_v<From>) {  // float -> integer or bool
    if (!(v == v)) return To(0);
    constexpr bool kBool = std::is_same_v<To, bool>;
    const double lo = kBool ? 0.0 : static_cast<double>(std::numeric_limits<To>::lowest());
    const double hi = kBool ? 1.0 : static_cast<double>(std::numeric_limits<To>::max());
    const double r = static_cast<double>(v);
    if (r <= lo) return kBool ? false : std::numeric_limits<To>::lowest();
    if (r >= hi) return kBool ? true : std::numeric_limits<To>::max();
    return static_cast<To>(round_half_even(r));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v > From(0);  // clamped to [0, 1]: negative values give false
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(v);
  } else if constexpr (std::is_signed_v<From> && std::is_signed_v<To>) {
    const auto wide = static_cast<std::int64_t>(v);
    if (wide < static_cast<std::int64_t>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (wide > static_cast<std::int64_t>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else if constexpr (!std::is_signed_v<From> && !std::is_signed_v<To>) {
    const auto wide = static_cast<std::uint64_t>(v);
    return wide > static_cast<std::uint64_t>(std::numeric_limits<To>::max()) ? std::numeric_limits<To>::max()
                                                                              : static_cast<To>(v);
  } else if constexpr (std::is_signed_v<From>) {  // signed -> unsigned
    if (v < From(0)) return To(0);
    return static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<To>::max())
               ? std::numeric_limits<To>::max() : static_cast<To>(v);
  } else {  // unsigned -> signed
    return v > static_cast<std::make_unsigned_t<To>>(std::numeric_limits<To>::max()) ? std::numeric_limits<To>::max()
                                                                                    : static_cast<To>(v);
  }
}

/// Calls f(T{}) with the C++ type of `dtype`.
template <class F> ALPAKA_FN_HOST_ACC inline decltype(auto) visit(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32: return f(float{});
    case DType::float64: return f(double{});
    case DType::float16: return f(Half{});
    case DType::int8: return f(std::int8_t{});
    case DType::int16: return f(std::int16_t{});
    case DType::int32: return f(std::int32_t{});
    case DType::int64: return f(std::int64_t{});
    case DType::uint8: return f(std::uint8_t{});
    case DType::uint16: return f(std::uint16_t{});
    case DType::uint32: return f(std::uint32_t{});
    case DType::uint64: return f(std::uint64_t{});
    case DType::boolean: return f(bool{});
  }
  return f(float{});
}

}  // namespace sofie_soa::kernels
