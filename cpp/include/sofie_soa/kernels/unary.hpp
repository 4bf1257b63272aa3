// sofie_soa/kernels/unary.hpp — the activation fused into a dense layer (dense.hpp, runtime/gemm.hpp): one of the
// float functors of functors/unary.hpp chosen at run time, so that one DenseKernel instantiation serves every
// layer of a chain.
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/kernels/functors/unary.hpp"

namespace sofie_soa::kernels {

enum class UnaryKind : std::int32_t {
  identity, relu, leaky_relu, elu, selu, sigmoid, hard_sigmoid, tanh, softplus, clip,
};

/// A dense layer's activation with its ONNX attributes: LeakyRelu/Elu alpha; Selu alpha, gamma (beta here);
/// HardSigmoid alpha, beta; Clip min (alpha), max (beta).
struct Unary {
  UnaryKind kind = UnaryKind::identity;
  float alpha = 0.f;
  float beta = 0.f;

  template <class TAcc> ALPAKA_FN_ACC float operator()(TAcc const& acc, float x) const {
    switch (kind) {
      case UnaryKind::identity: return x;
      case UnaryKind::relu: return fn::Relu{}(acc, x);
      case UnaryKind::leaky_relu: return fn::LeakyRelu{alpha}(acc, x);
      case UnaryKind::elu: return fn::Elu{alpha}(acc, x);
      case UnaryKind::selu: return fn::Selu{alpha, beta}(acc, x);
      case UnaryKind::sigmoid: return fn::Sigmoid{}(acc, x);
      case UnaryKind::hard_sigmoid: return fn::HardSigmoid{alpha, beta}(acc, x);
      case UnaryKind::tanh: return fn::Tanh{}(acc, x);
      case UnaryKind::softplus: return fn::Softplus{}(acc, x);
      case UnaryKind::clip: return fn::Clip{alpha, beta}(acc, x);
    }
    return x;
  }
};

}  // namespace sofie_soa::kernels
