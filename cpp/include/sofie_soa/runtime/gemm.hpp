// sofie_soa/runtime/gemm.hpp — the product of a large dense layer, Y[rows, N] = X[rows, K] · W[K, N]: float32,
// row-major, all three in the queue's device memory (bias and activation follow as launches of their own).
//
// CUDA built with SOFIE_SOA_CUBLAS (and linked with cuBLAS): one cublasSgemm on the queue's native stream, so it
// is ordered with the session's other launches like any kernel. Everywhere else: the DenseKernel with one layer.
// Generated sessions call it only in their GPU plan (codegen/blas_layers.py chooses the layers by shape).
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"
#include "sofie_soa/kernels/dense.hpp"

#if defined(SOFIE_SOA_CUBLAS) && defined(ALPAKA_ACC_GPU_CUDA_ENABLED)
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <cublas_v2.h>

namespace sofie_soa::runtime::detail {

inline void check(cublasStatus_t status, char const* call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed: " + cublasGetStatusString(status));
}

/// This thread's cuBLAS handle for `stream` (of the current device), created on first use: cublasCreate costs
/// milliseconds. One handle per thread, because a handle must not be used by two threads at once (cuBLAS
/// documentation, "Thread Safety"); and one per stream, because a handle's default workspace must not be shared
/// by two streams running at once (as PyTorch keys its cuBLAS workspaces by handle and stream). None is ever
/// destroyed: destroying them at exit races the CUDA runtime's own teardown.
inline cublasHandle_t cublas_handle(cudaStream_t stream) {
  thread_local std::vector<std::pair<cudaStream_t, cublasHandle_t>> handles;
  for (auto const& [s, handle] : handles)
    if (s == stream) return handle;
  cublasHandle_t handle = nullptr;
  check(cublasCreate(&handle), "cublasCreate");
  check(cublasSetStream(handle, stream), "cublasSetStream");
  handles.emplace_back(stream, handle);
  return handle;
}

}  // namespace sofie_soa::runtime::detail
#endif

namespace sofie_soa::runtime {

/// Enqueues y = x · w on `queue`: x [rows, k], w [k, n], y [rows, n] (float32, row-major, element strides k,
/// n and n). W bounds the widths the DenseKernel fallback keeps per thread (as in kernels::DenseChain<W>).
/// Throws std::runtime_error naming the cuBLAS call that failed, or when rows, k or n exceed cuBLAS's int range.
template <class TAcc, std::int64_t W, class TQueue>
void gemm(TQueue& queue, std::int64_t rows, std::int64_t k, std::int64_t n, float const* x, float const* w, float* y) {
  if (rows <= 0) return;
#if defined(SOFIE_SOA_CUBLAS) && defined(ALPAKA_ACC_GPU_CUDA_ENABLED)
  if constexpr (alpaka::accMatchesTags<TAcc, alpaka::TagGpuCudaRt>) {
    constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
    if (rows > kIntMax || k > kIntMax || n > kIntMax)
      throw std::runtime_error("gemm: " + std::to_string(rows) + " rows x " + std::to_string(k) + " -> " +
                               std::to_string(n) + " exceeds cuBLAS's int dimensions");
    const int device = alpaka::getNativeHandle(alpaka::getDev(queue));
    if (cudaSetDevice(device) != cudaSuccess) throw std::runtime_error("gemm: cudaSetDevice failed");
    cublasHandle_t handle = detail::cublas_handle(alpaka::getNativeHandle(queue));
    const float one = 1.f, zero = 0.f;
    // Row-major Y = X·W is column-major Yᵀ = Wᵀ·Xᵀ: W read as an n×k column-major matrix (leading dimension n),
    // X as k×rows (leading dimension k), Y written as n×rows (leading dimension n).
    detail::check(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(rows),
                              static_cast<int>(k), &one, w, static_cast<int>(n), x, static_cast<int>(k), &zero, y,
                              static_cast<int>(n)),
                  "cublasSgemm");
    if constexpr (compat::is_blocking<TQueue>) alpaka::wait(queue);
    return;
  }
#endif
  compat::launch<TAcc>(queue, kernels::DenseKernel::work_items<TAcc>(rows), kernels::DenseKernel{}, rows,
                       kernels::DenseIn<float>{x, k}, kernels::DenseOut<float>{y, n},
                       kernels::dense_chain<W>(kernels::DenseLayer{k, n, w, nullptr, kernels::Unary{}}));
}

}  // namespace sofie_soa::runtime
