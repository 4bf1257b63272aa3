// sofie_soa/core/dtype.hpp — element types a layout member may hold.
//
// The set is the one CMS SoA layouts use for physics data: IEEE floats (16/32/64 bit), signed and
// unsigned integers (8..64 bit) and bool (one byte). Each maps to a DLPack (code, bits) pair so that
// views exported through DLPack carry the right type (dmlc/dlpack DLDataTypeCode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sofie_soa {

enum class DType : std::uint8_t {
  float16, float32, float64,
  int8, int16, int32, int64,
  uint8, uint16, uint32, uint64,
  boolean,
};

/// DLPack type codes (dlpack.h DLDataTypeCode): kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBool = 6.
enum class DLPackCode : std::uint8_t { int_ = 0, uint = 1, float_ = 2, bool_ = 6 };

/// Size of one element in bytes.
constexpr std::size_t size_of(DType t) {
  switch (t) {
    case DType::int8: case DType::uint8: case DType::boolean: return 1;
    case DType::float16: case DType::int16: case DType::uint16: return 2;
    case DType::float32: case DType::int32: case DType::uint32: return 4;
    case DType::float64: case DType::int64: case DType::uint64: return 8;
  }
  return 0;
}

/// NumPy-style name ("float32", "int8", "bool").
constexpr std::string_view name_of(DType t) {
  switch (t) {
    case DType::float16: return "float16";
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int8: return "int8";
    case DType::int16: return "int16";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::uint16: return "uint16";
    case DType::uint32: return "uint32";
    case DType::uint64: return "uint64";
    case DType::boolean: return "bool";
  }
  return "?";
}

constexpr DType kAllDTypes[] = {DType::float16, DType::float32, DType::float64, DType::int8,
                                DType::int16,   DType::int32,   DType::int64,   DType::uint8,
                                DType::uint16,  DType::uint32,  DType::uint64,  DType::boolean};

/// Inverse of name_of. Throws std::invalid_argument naming the unknown dtype.
inline DType dtype_from_name(std::string_view name) {
  for (DType t : kAllDTypes)
    if (name_of(t) == name) return t;
  throw std::invalid_argument("unknown dtype '" + std::string(name) +
                              "': expected one of float16/32/64, int8/16/32/64, uint8/16/32/64, bool");
}

constexpr DLPackCode dlpack_code(DType t) {
  switch (t) {
    case DType::float16: case DType::float32: case DType::float64: return DLPackCode::float_;
    case DType::int8: case DType::int16: case DType::int32: case DType::int64: return DLPackCode::int_;
    case DType::boolean: return DLPackCode::bool_;
    default: return DLPackCode::uint;
  }
}

/// The DType of a DLPack (code, bits) pair. Throws std::invalid_argument for types a layout cannot hold.
inline DType dtype_from_dlpack(std::uint8_t code, std::uint8_t bits) {
  for (DType t : kAllDTypes)
    if (static_cast<std::uint8_t>(dlpack_code(t)) == code && size_of(t) * 8 == bits) return t;
  throw std::invalid_argument("DLPack dtype (code " + std::to_string(code) + ", " + std::to_string(bits) +
                              " bits) has no sofie_soa equivalent");
}

constexpr bool is_float(DType t) { return t == DType::float16 || t == DType::float32 || t == DType::float64; }
constexpr bool is_signed_int(DType t) {
  return t == DType::int8 || t == DType::int16 || t == DType::int32 || t == DType::int64;
}

/// Whether converting values of `from` into `to` keeps what they mean, so that it may happen silently (a column
/// read into a model input, a model output written into a column): the same dtype; bool into anything; a float
/// into a float of any width (rounded); an integer into a float (rounded beyond its mantissa); an integer into
/// an integer whose range holds the source's. Float into integer or bool, and integer into bool or a narrower
/// integer, lose information: the caller must ask for them (kernels/types.hpp `saturate`: round half to even,
/// clamp, NaN to 0).
constexpr bool lossless(DType from, DType to) {
  if (from == to || from == DType::boolean || is_float(to)) return true;
  if (to == DType::boolean || is_float(from)) return false;
  const bool from_signed = is_signed_int(from), to_signed = is_signed_int(to);
  if (from_signed && !to_signed) return false;
  if (from_signed == to_signed) return size_of(to) >= size_of(from);
  return size_of(to) > size_of(from);  // unsigned into a wider signed integer
}

/// The DType of a C++ element type, for compile-time layouts: dtype_of<float>() == DType::float32.
/// float16 has no portable C++17 type; declare it with DType::float16 explicitly.
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::float32; }
template <> constexpr DType dtype_of<double>() { return DType::float64; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::int8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::int16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::int32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::int64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::uint8; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::uint16; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::uint32; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::uint64; }
template <> constexpr DType dtype_of<bool>() { return DType::boolean; }

}  // namespace sofie_soa
