// Runs a session header emitted ahead of time (`python -m sofie_soa emit model.onnx -o session.hpp --name
// session`) on SoA collections built with the sofie_soa core, the way a producer module would.
//
//   test_session             (CTest) the SoA-view front door's checks: wrong feature counts and n are refused,
//                            naming the tensor, and nothing is written
//   test_session infer N     prints the model's output features for N tracks, one line per track (%.9g); the
//                            inputs are exact functions of the index, which tests/test_cpp_session.py recomputes
//                            to compare with onnxruntime
//   test_session stress T C  T threads, each with its own queue and SoA, C calls each with a pseudo-random n in
//                            [0, 1000), one session shared by all: every result must be bitwise equal to a
//                            serial run (also run under ThreadSanitizer)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "session.hpp"
#include "sofie_soa/core.hpp"

using namespace sofie_soa;
using Acc = compat::Acc<alpaka::TagCpuSerial>;
using Queue = compat::DefaultQueue<Acc>;
using Session = sofie_soa_generated::session::Session<Acc>;
using Model = sofie_soa_generated::session::Model;

// Input features in the order the model takes its first Model::kInputFeatures[0]: float32, int32 and float64
// columns, float64 Eigen coefficients, a broadcast scalar. Outputs go to the first coefficients of `out`.
const std::vector<std::string> kFeatures = {"pt", "eta", "nHits", "phi", "state[0]", "state[1]", "state[2]", "bField"};

const Layout& track_layout() {
  static const Layout layout(make_fixed_layout(column<float>("pt"), column<float>("eta"),
                                               column<std::int32_t>("nHits"), column<double>("phi"),
                                               eigen_column<double, 3>("state"), scalar<float>("bField"),
                                               eigen_column<float, 8>("out")));
  return layout;
}

/// Feature f of track i: ((i * 37 + f * 11) % 101) / 50 - 1, except nHits (i * 7 + 3) % 15 and bField 3.8.
double value(std::int64_t i, int f) { return static_cast<double>((i * 37 + f * 11) % 101) / 50.0 - 1.0; }

/// An SoA collection of n tracks, owning its 128-byte aligned buffer.
struct Tracks {
  explicit Tracks(std::int64_t n)
      : bytes(track_layout().byte_size(n)),
        buffer(static_cast<std::byte*>(std::aligned_alloc(128, bytes ? bytes : 128)), &std::free),
        view(buffer.get(), bytes, track_layout(), n) {
    const std::int64_t state_pitch = static_cast<std::int64_t>(track_layout().pitch_bytes("state", n) / sizeof(double));
    for (std::int64_t i = 0; i < n; ++i) {
      view.column<float>("pt")[i] = static_cast<float>(value(i, 0));
      view.column<float>("eta")[i] = static_cast<float>(value(i, 1));
      view.column<std::int32_t>("nHits")[i] = static_cast<std::int32_t>((i * 7 + 3) % 15);
      view.column<double>("phi")[i] = value(i, 3);
      for (int k = 0; k < 3; ++k) view.column<double>("state")[i + k * state_pitch] = value(i, 4 + k);
    }
    if (n > 0) *view.column<float>("bField") = 3.8f;
  }
  std::size_t bytes;
  std::unique_ptr<std::byte, decltype(&std::free)> buffer;
  SoAView view;
};

/// The model's input features and its output coefficients of `out`.
const std::vector<std::string> kIn(kFeatures.begin(), kFeatures.begin() + Model::kInputFeatures[0]);
std::vector<std::string> output_features() {
  std::vector<std::string> out;
  for (std::int64_t k = 0; k < Model::kOutputFeatures[0]; ++k) out.push_back("out[" + std::to_string(k) + "]");
  return out;
}

/// The output features of n tracks, feature-major, after one inference on `queue`.
std::vector<float> run(Session const& session, Queue& queue, std::int64_t n) {
  Tracks tracks(n);
  const std::vector<std::string> out = output_features();
  session.infer(queue, {tracks.view.tensor(kIn)}, {tracks.view.tensor(out)});
  alpaka::wait(queue);
  std::vector<float> result;
  for (auto const& f : tracks.view.tensor(out).features)
    for (std::int64_t i = 0; i < n; ++i) result.push_back(reinterpret_cast<float const*>(f.data)[i]);
  return result;
}

int main(int argc, char** argv) {
  static_assert(Model::kInputs == 1 && Model::kOutputs == 1, "this driver runs single-input, single-output models");
  const std::string mode = argc > 1 ? argv[1] : "check";
  Queue queue(compat::device<Acc>());
  const Session session(queue);
  if (mode == "check") {
    Tracks a(10), b(11);
    const std::vector<std::string> too_few(kIn.begin(), kIn.end() - 1);
    const std::vector<std::string> out = output_features();
    *a.view.column<float>("out") = 7.f;
    EXPECT_THROWS(session.infer(queue, {a.view.tensor(too_few)}, {a.view.tensor(out)}), std::invalid_argument,
                  "the model expects");
    EXPECT_THROWS(session.infer(queue, {a.view.tensor(kIn)}, {b.view.tensor(out)}), std::invalid_argument,
                  "outputs have n = 11, inputs have n = 10");
    EXPECT_THROWS(session.infer(queue, {}, {a.view.tensor(out)}), std::invalid_argument, "1 inputs, 0 tensors");
    CHECK(*a.view.column<float>("out") == 7.f);
    run(session, queue, 10);
    return TEST_MAIN_RESULT();
  }
  if (mode == "infer") {
    const std::int64_t n = argc > 2 ? std::atoll(argv[2]) : 10;
    const std::vector<float> y = run(session, queue, n);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < Model::kOutputFeatures[0]; ++k) std::printf("%s%.9g", k ? " " : "", y[k * n + i]);
      std::printf("\n");
    }
    return 0;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const int calls = argc > 3 ? std::atoi(argv[3]) : 1000;
  const std::int64_t max_n = 1000;
  std::vector<std::vector<float>> serial;
  for (std::int64_t n = 0; n < max_n; ++n) serial.push_back(run(session, queue, n));
  std::vector<int> mismatches(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      Queue own(compat::device<Acc>());
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int c = 0; c < calls; ++c) {
        const std::int64_t n = static_cast<std::int64_t>(rng() % max_n);
        mismatches[t] += run(session, own, n) != serial[n];
      }
    });
  for (auto& th : pool) th.join();
  int bad = 0;
  for (int m : mismatches) bad += m;
  const auto stats = session.allocator().stats();
  std::printf("stress: %d threads x %d calls, %d mismatches; allocator hits %llu misses %llu live %llu bytes\n",
              threads, calls, bad, static_cast<unsigned long long>(stats.hits),
              static_cast<unsigned long long>(stats.misses), static_cast<unsigned long long>(stats.live_bytes));
  return bad == 0 ? 0 : 1;
}
