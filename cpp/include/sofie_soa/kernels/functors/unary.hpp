// sofie_soa/kernels/functors/unary.hpp — element-wise operators of one operand, with ONNX semantics, for
// MapKernel (map.hpp) and as the fused epilogue of dense layers (dense.hpp). Each is called as op(acc, x) with x
// in its compute type (float for float16) and returns the result in the same type unless stated.
//
// NaN propagates as ONNX Runtime gives it (Relu(NaN) is NaN). Integer operators never invoke C++ undefined
// behaviour: negation and absolute value of the minimum wrap, as two's complement does.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels::fn {

namespace m = alpaka::math;

/// -x for signed integers without overflow (INT_MIN stays INT_MIN), else -x.
template <class T> ALPAKA_FN_HOST_ACC inline T negate(T x) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(x));
  } else {
    return -x;
  }
}

struct Identity {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const { return x; }
};

/// ConstantOfShape, Dropout's mask, fills: no operand.
template <class T> struct Constant {
  T value;
  template <class TAcc> ALPAKA_FN_HOST_ACC T operator()(TAcc const&) const { return value; }
};

struct Neg {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const { return negate(x); }
};
struct Abs {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else if constexpr (std::is_integral_v<T>) {
      return x < 0 ? negate(x) : x;
    } else {
      return x < T(0) ? -x : (x == T(0) ? T(0) : x);  // -0 -> 0; NaN passes
    }
  }
};
struct Sign {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return x > T(0) ? T(1) : (x < T(0) ? negate(T(1)) : x);  // 0 and NaN give themselves
  }
};
struct Reciprocal {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const { return T(1) / x; }
};
struct Floor {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const { return m::floor(acc, x); }
};
struct Ceil {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const { return m::ceil(acc, x); }
};
/// Round: half to even (ONNX Round-11).
struct Round {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return static_cast<T>(round_half_even(static_cast<double>(x)));
  }
};

#define SOFIE_SOA_MATH_FUNCTOR(Name, call)                                                            \
  struct Name {                                                                                       \
    template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const { \
      return m::call(acc, x);                                                                         \
    }                                                                                                 \
  };
SOFIE_SOA_MATH_FUNCTOR(Sqrt, sqrt)
SOFIE_SOA_MATH_FUNCTOR(Exp, exp)
SOFIE_SOA_MATH_FUNCTOR(Log, log)
SOFIE_SOA_MATH_FUNCTOR(Sin, sin)
SOFIE_SOA_MATH_FUNCTOR(Cos, cos)
SOFIE_SOA_MATH_FUNCTOR(Tan, tan)
SOFIE_SOA_MATH_FUNCTOR(Asin, asin)
SOFIE_SOA_MATH_FUNCTOR(Acos, acos)
SOFIE_SOA_MATH_FUNCTOR(Atan, atan)
SOFIE_SOA_MATH_FUNCTOR(Sinh, sinh)
SOFIE_SOA_MATH_FUNCTOR(Cosh, cosh)
SOFIE_SOA_MATH_FUNCTOR(Asinh, asinh)
SOFIE_SOA_MATH_FUNCTOR(Acosh, acosh)
SOFIE_SOA_MATH_FUNCTOR(Atanh, atanh)
SOFIE_SOA_MATH_FUNCTOR(Tanh, tanh)
SOFIE_SOA_MATH_FUNCTOR(Erf, erf)
#undef SOFIE_SOA_MATH_FUNCTOR

struct Sigmoid {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return T(1) / (T(1) + m::exp(acc, -x));
  }
};
/// log(1 + exp(x)) without overflow for large x.
struct Softplus {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return x > T(0) ? x + m::log(acc, T(1) + m::exp(acc, -x)) : m::log(acc, T(1) + m::exp(acc, x));
  }
};
struct Softsign {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return x / (T(1) + (x < T(0) ? -x : x));
  }
};
struct Relu {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return x < T(0) ? T(0) : x;  // NaN passes through
  }
};
struct LeakyRelu {
  double alpha = 0.01;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return x < T(0) ? static_cast<T>(alpha) * x : x;
  }
};
struct Elu {
  double alpha = 1.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return x < T(0) ? static_cast<T>(alpha) * (m::exp(acc, x) - T(1)) : x;
  }
};
struct Selu {
  double alpha = 1.67326319217681884765625;
  double gamma = 1.05070102214813232421875;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    const T g = static_cast<T>(gamma);
    return x > T(0) ? g * x : g * (static_cast<T>(alpha) * m::exp(acc, x) - static_cast<T>(alpha));
  }
};
/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
struct Celu {
  double alpha = 1.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    const T a = static_cast<T>(alpha);
    return x < T(0) ? a * (m::exp(acc, x / a) - T(1)) : x;
  }
};
struct HardSigmoid {
  double alpha = 0.2;
  double beta = 0.5;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    const T y = static_cast<T>(alpha) * x + static_cast<T>(beta);
    return y < T(0) ? T(0) : (y > T(1) ? T(1) : y);
  }
};
/// x * HardSigmoid(x) with alpha = 1/6, beta = 1/2.
struct HardSwish {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return x * HardSigmoid{1.0 / 6.0, 0.5}(acc, x);
  }
};
/// x * tanh(softplus(x)).
struct Mish {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return x * m::tanh(acc, Softplus{}(acc, x));
  }
};
/// x * sigmoid(alpha * x) (ONNX Swish-24; SiLU for alpha = 1).
struct Swish {
  double alpha = 1.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    return x * Sigmoid{}(acc, static_cast<T>(alpha) * x);
  }
};
/// Gelu-20: x/2 (1 + erf(x / sqrt 2)), or with approximate = "tanh" x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct Gelu {
  bool tanh_approximation = false;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const& acc, T x) const {
    if (tanh_approximation)
      return T(0.5) * x * (T(1) + m::tanh(acc, T(0.7978845608028654) * (x + T(0.044715) * x * x * x)));
    return T(0.5) * x * (T(1) + m::erf(acc, x * T(0.7071067811865476)));
  }
};
struct ThresholdedRelu {
  double alpha = 1.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    return x > static_cast<T>(alpha) ? x : T(0);
  }
};
/// Shrink: x + bias below -lambd, x - bias above lambd, 0 between.
struct Shrink {
  double lambd = 0.5;
  double bias = 0.0;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    if (static_cast<double>(x) < -lambd) return static_cast<T>(static_cast<double>(x) + bias);
    if (static_cast<double>(x) > lambd) return static_cast<T>(static_cast<double>(x) - bias);
    return T(0);
  }
};
/// Clip to [lo, hi] (the bounds held as double: exact for every float and for integers up to 2^53).
struct Clip {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const {
    if (static_cast<double>(x) < lo) return static_cast<T>(lo);
    if (static_cast<double>(x) > hi) return static_cast<T>(hi);
    return x;
  }
};
struct IsNaN {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T x) const { return !(x == x); }
};
struct IsInf {
  bool positive = true;
  bool negative = true;
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, T x) const {
    constexpr T inf = std::numeric_limits<T>::infinity();
    return (positive && x == inf) || (negative && x == -inf);
  }
};
struct Not {
  template <class TAcc> ALPAKA_FN_HOST_ACC bool operator()(TAcc const&, bool x) const { return !x; }
};
struct BitwiseNot {
  template <class TAcc, class T> ALPAKA_FN_HOST_ACC T operator()(TAcc const&, T x) const { return static_cast<T>(~x); }
};

}  // namespace sofie_soa::kernels::fn
