// sofie_soa/kernels/unary.hpp — element-wise unary operators (ONNX semantics), used on their own and as the
// fused epilogue of the dense layer.
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"

namespace sofie_soa::kernels {

enum class UnaryKind : std::int32_t {
  identity, relu, leaky_relu, elu, selu, sigmoid, hard_sigmoid, tanh, softplus, exp, log, sqrt, abs, neg, clip,
};

/// A unary operator with its ONNX attributes: LeakyRelu/Elu alpha; Selu alpha, gamma (beta here);
/// HardSigmoid alpha, beta; Clip min (alpha), max (beta).
struct Unary {
  UnaryKind kind = UnaryKind::identity;
  float alpha = 0.f;
  float beta = 0.f;

  template <class TAcc> ALPAKA_FN_ACC float operator()(TAcc const& acc, float x) const {
    namespace m = alpaka::math;
    switch (kind) {
      case UnaryKind::identity: return x;
      case UnaryKind::relu: return x < 0.f ? 0.f : x;  // NaN passes through, as ONNX Runtime gives
      case UnaryKind::leaky_relu: return x >= 0.f ? x : alpha * x;
      case UnaryKind::elu: return x >= 0.f ? x : alpha * (m::exp(acc, x) - 1.f);
      case UnaryKind::selu: return x > 0.f ? beta * x : beta * (alpha * m::exp(acc, x) - alpha);
      case UnaryKind::sigmoid: return 1.f / (1.f + m::exp(acc, -x));
      case UnaryKind::hard_sigmoid: {
        const float y = alpha * x + beta;
        return y < 0.f ? 0.f : (y > 1.f ? 1.f : y);
      }
      case UnaryKind::tanh: return m::tanh(acc, x);
      // log(1 + exp(x)) without overflow for large x.
      case UnaryKind::softplus: return x > 0.f ? x + m::log(acc, 1.f + m::exp(acc, -x)) : m::log(acc, 1.f + m::exp(acc, x));
      case UnaryKind::exp: return m::exp(acc, x);
      case UnaryKind::log: return m::log(acc, x);
      case UnaryKind::sqrt: return m::sqrt(acc, x);
      case UnaryKind::abs: return m::abs(acc, x);
      case UnaryKind::neg: return -x;
      case UnaryKind::clip: return x < alpha ? alpha : (x > beta ? beta : x);
    }
    return x;
  }
};

/// out[i] = op(in[i]) for i in [0, count).
struct UnaryKernel {
  template <class TAcc, class In, class Out>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, In in, Out out, Unary op) const {
    compat::for_each_element(acc, count, [&](std::int64_t i) { out.store(i, op(acc, in[i])); });
  }
};

}  // namespace sofie_soa::kernels
