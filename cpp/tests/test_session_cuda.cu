// The emitted session header built for alpaka's CUDA back-end through find_package(sofie_soa) with
// SOFIE_SOA_CUDA=ON (tests/test_cpp.py builds it; CTest does not run it). On a GPU it runs the session on an SoA
// buffer in device memory, filled and read back with alpaka copies, and prints the first output; without one it
// says so and exits 0.
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
  } catch (std::exception const& e) {
    std::printf("no CUDA GPU: %s\n", e.what());
  }
  return 0;
}
