// sofie_soa/kernels/functors/binary.hpp — element-wise operators of two (Where: three) operands with ONNX semantics,
// for MapKernel (map.hpp), which broadcasts them. Called as op(acc, a, b) with operands in their compute types.
//
// Integers follow ONNX (and NumPy) without C++ undefined behaviour: Add, Sub and Mul wrap; Div truncates toward
// zero, and x / 0 gives 0 (ONNX leaves it undefined; C++ would trap); Mod follows fmod = 0 (the sign of the
// divisor, Python's %; a zero takes the divisor's sign) or fmod = 1 (the sign of the dividend, C's fmod); BitShift
// (signed types from opset 28) shifts right arithmetically, and by a negative amount or the bit width or more gives
// the sign fill alone (-1 for a negative right-shifted value, else 0).
// Max and Min propagate NaN, as numpy.maximum does.
#pragma once

#include <cstdint>
#include <type_traits>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels::fn {

template <class T> constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

/// a op b computed in 64-bit unsigned arithmetic and truncated to T: signed overflow wraps instead of being
/// undefined (and small types are not promoted to a signed int that could overflow).
template <class T, class F> ALPAKA_FN_HOST_ACC inline T wrapping(T a, T b, F f) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(f(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b))));
}

struct Add {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if constexpr (is_int_v<T>) {
      return wrapping(a, b, [](auto x, auto y) { return x + y; });
    } else {
      return a + b;
    }
  }
};
struct Sub {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if constexpr (is_int_v<T>) {
      return wrapping(a, b, [](auto x, auto y) { return x - y; });
    } else {
      return a - b;
    }
  }
};
struct Mul {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if constexpr (is_int_v<T>) {
      return wrapping(a, b, [](auto x, auto y) { return x * y; });
    } else {
      return a * b;
    }
  }
};
struct Div {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if constexpr (is_int_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return wrapping(T(0), a, [](auto x, auto y) { return x - y; });  // -MIN wraps to MIN
      return a / b;
    } else {
      return a / b;
    }
  }
};
/// Mod-13: fmod = 0 takes the divisor's sign (integers only, as ONNX requires); fmod = 1 the dividend's.
struct Mod {
  bool fmod = false;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T a, T b) const {
    if constexpr (is_int_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return 0;
        const T r = a % b;
        return (!fmod && r != 0 && ((r < 0) != (b < 0))) ? static_cast<T>(r + b) : r;
      } else {
        return a % b;
      }
    } else {
      const T r = alpaka::math::fmod(acc, a, b);
      if (fmod) return r;
      if (r == T(0)) return b < T(0) ? -T(0) : T(0);  // Mod-28: a zero result takes the divisor's sign
      return ((r < T(0)) != (b < T(0))) ? r + b : r;
    }
  }
};
/// Pow: a^b in double (exact for the integer cases ONNX tests), converted back.
struct Pow {
  template <class TAcc, class A, class B> ALPAKA_FN_HOST_ACC A operator()(TAcc const& acc, A a, B b) const {
    const double x = static_cast<double>(a), y = static_cast<double>(b);
    if (y == 2.0) return cast<A>(x * x);  // the squares of distances (ParticleNet's kNN): pow's exact result, faster
    return cast<A>(alpaka::math::pow(acc, x, y));
  }
};
struct Max {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if (!(a == a)) return a;
    return b > a || !(b == b) ? b : a;
  }
};
struct Min {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    if (!(a == a)) return a;
    return b < a || !(b == b) ? b : a;
  }
};
/// PRelu: slope * x where x < 0.
struct PRelu {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x, T slope) const {
    return x < T(0) ? slope * x : x;
  }
};
struct BitShift {
  bool left = true;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const {
    using U = std::make_unsigned_t<T>;  // shifts in std::uint64_t: no promotion to int, no signed overflow
    if (b < T(0) || b >= T(8 * sizeof(T))) return (!left && a < T(0)) ? T(-1) : T(0);  // BitShift-28: sign fill
    const std::uint64_t bits = static_cast<U>(a);
    if (left) return static_cast<T>(static_cast<U>(bits << b));  // bits past the sign are dropped
    if (a < T(0)) return static_cast<T>(static_cast<U>(~(static_cast<U>(~bits) >> b)));  // arithmetic: sign fill
    return static_cast<T>(static_cast<U>(bits >> b));
  }
};
struct BitwiseAnd {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const { return a & b; }
};
struct BitwiseOr {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const { return a | b; }
};
struct BitwiseXor {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T a, T b) const { return a ^ b; }
};
struct And {
  template <class TAcc> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, bool a, bool b) const { return a && b; }
};
struct Or {
  template <class TAcc> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, bool a, bool b) const { return a || b; }
};
struct Xor {
  template <class TAcc> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, bool a, bool b) const { return a != b; }
};
struct Equal {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T a, T b) const { return a == b; }
};
struct Less {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T a, T b) const { return a < b; }
};
struct LessOrEqual {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T a, T b) const { return a <= b; }
};
struct Greater {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T a, T b) const { return a > b; }
};
struct GreaterOrEqual {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T a, T b) const { return a >= b; }
};
/// Gemm's epilogue: alpha * x + beta * c.
struct Axpby {
  double alpha = 1.0;
  double beta = 1.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x, T c) const {
    return Add{}(acc, Mul{}(acc, static_cast<T>(alpha), x), Mul{}(acc, static_cast<T>(beta), c));
  }
};
/// x * scale + shift (BatchNormalization with folded constants).
struct MulAdd {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x, T scale, T shift) const {
    return Add{}(acc, Mul{}(acc, x, scale), shift);
  }
};
/// BatchNormalization-15 (inference): (x - mean) / sqrt(var + epsilon) * scale + bias.
struct BatchNorm {
  double epsilon = 1e-5;
  template <class TAcc, class T>
  ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x, T scale, T bias, T mean, T var) const {
    return (x - mean) / alpaka::math::sqrt(acc, var + static_cast<T>(epsilon)) * scale + bias;
  }
};
struct Where {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, bool c, T a, T b) const {
    return c ? a : b;
  }
};

}  // namespace sofie_soa::kernels::fn
