// The emitted session header built for alpaka's CUDA back-end through find_package(sofie_soa) with
// SOFIE_SOA_CUDA=ON (tests/test_cpp.py builds it; CTest does not run it). On a GPU it runs the session on an SoA
// buffer in device memory, filled and read back with alpaka copies, and prints the first output; then the large-
// GEMM path (runtime::gemm: cuBLAS when built with SOFIE_SOA_CUBLAS) against a double-precision host product,
// exiting 1 when they differ. Without a GPU it says so and exits 0.
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "session.hpp"
#include "sofie_soa/core.hpp"

using namespace sofie_soa;
using Acc = compat::Acc<alpaka::TagGpuCudaRt>;
using Queue = compat::DefaultQueue<Acc>;
using Model = sofie_soa_generated::session::Model;

/// The largest |difference| between runtime::gemm on the device and a host product in double precision, for
/// x [rows, k] and w [k, n] filled with small exact values.
float gemm_error(Queue& queue, std::int64_t rows, std::int64_t k, std::int64_t n) {
  std::vector<float> x(static_cast<std::size_t>(rows * k)), w(static_cast<std::size_t>(k * n)),
      y(static_cast<std::size_t>(rows * n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.25f;
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 5) - 2) * 0.5f;
  auto device_buffer = [&](std::vector<float>& host) {
    const alpaka::Vec<compat::Dim1, compat::Idx> extent(host.size());
    auto buffer = alpaka::allocBuf<float, compat::Idx>(alpaka::getDev(queue), extent);
    alpaka::memcpy(queue, buffer, alpaka::createView(compat::host(), host.data(), extent));
    return buffer;
  };
  auto dx = device_buffer(x), dw = device_buffer(w), dy = device_buffer(y);
  runtime::gemm<Acc, 1024>(queue, rows, k, n, alpaka::getPtrNative(dx), alpaka::getPtrNative(dw),
                           alpaka::getPtrNative(dy));
  alpaka::memcpy(queue, alpaka::createView(compat::host(), y.data(), alpaka::Vec<compat::Dim1, compat::Idx>(y.size())),
                 dy);
  alpaka::wait(queue);
  double worst = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::int64_t i = 0; i < k; ++i) sum += double(x[r * k + i]) * double(w[i * n + j]);
      worst = std::fmax(worst, std::fabs(sum - double(y[r * n + j])));
    }
  return static_cast<float>(worst);
}

int main() {
  try {
    Queue queue(compat::device<Acc>(0));
    sofie_soa_generated::session::Session<Acc> session(queue);
    const std::int64_t n = 1000, in = Model::kInputFeatures[0], out = Model::kOutputFeatures[0];
    const Layout layout(make_fixed_layout(eigen_column<float, 8>("x"), eigen_column<float, 4>("y")));
    static_assert(Model::kInputs == 1 && Model::kOutputs == 1 && Model::kInputFeatures[0] <= 8 &&
                  Model::kOutputFeatures[0] <= 4, "the test model (track_mlp) fits the layout");
    const std::size_t bytes = layout.byte_size(n);
    auto device_buffer = alpaka::allocBuf<std::byte, compat::Idx>(alpaka::getDev(queue), bytes);
    std::vector<std::byte> host(bytes);
    SoAView host_view(host.data(), bytes, layout, n);
    const auto pitch = static_cast<std::int64_t>(layout.pitch_bytes("x", n) / sizeof(float));
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < in; ++k)
        host_view.column<float>("x")[i + k * pitch] = 0.01f * static_cast<float>((i + k) % 50);
    alpaka::memcpy(queue, device_buffer, alpaka::createView(compat::host(), host.data(), bytes));
    SoAView view(alpaka::getPtrNative(device_buffer), bytes, layout, n);
    std::vector<std::string> inputs, outputs;
    for (std::int64_t k = 0; k < in; ++k) inputs.push_back("x[" + std::to_string(k) + "]");
    for (std::int64_t k = 0; k < out; ++k) outputs.push_back("y[" + std::to_string(k) + "]");
    session.infer(queue, {view.tensor(inputs)}, {view.tensor(outputs)});
    alpaka::memcpy(queue, alpaka::createView(compat::host(), host.data(), bytes), device_buffer);
    alpaka::wait(queue);
    std::printf("first output %.6g\n", static_cast<double>(host_view.column<float>("y")[0]));
#if defined(SOFIE_SOA_CUBLAS)
    const char* path = "cuBLAS";
#else
    const char* path = "DenseKernel";
#endif
    const float error = gemm_error(queue, 1000, 200, 300);
    std::printf("gemm (%s) max abs error %g\n", path, static_cast<double>(error));
    if (!(error < 1e-3f)) return 1;
  } catch (std::exception const& e) {
    std::printf("no CUDA GPU: %s\n", e.what());
  }
  return 0;
}
