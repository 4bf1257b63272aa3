// The CMS-style producer chain in C++ (the Python twin is ../chain.py). Several streams (threads), each with its
// own alpaka queue, process events; per event:
//   1. an upstream producer kernel fills an SoA collection (the HLT pixel-track-like layout of ../tracks.py) with
//      simulated tracks — genuine tracks and fakes with different chi2, hit and impact-parameter distributions,
//      from a counter-based random generator (fixed seed: the same event gives the same tracks on any stream);
//   2. a high-purity selector runs the track classifier in place through the session header emitted ahead of
//      time, reading mixed-dtype columns and writing the `score` column, on the stream's queue;
//   3. a downstream consumer kernel sets `quality` from a threshold; the host counts;
//   4. a jet-tagging step: a jets SoA and a particle-flow candidates SoA (../jets.py's layouts; 0 to 120
//      candidates per jet, a range given by the jets' begin and count columns), filled by a producer kernel; the
//      tagger (../jet_tagger.onnx, a ParticleNet) reads the first 64 candidates of each jet in place through
//      ragged views (sofie_soa/runtime/ragged.hpp) and writes b/c/light probabilities into the jets SoA.
// Buffers come from the device's caching allocator. Prints events/s, tracks/s, the selection's purity and
// efficiency against the simulation's truth, and the b-tagging efficiency and light-jet mistag rate.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "sofie_soa/core.hpp"
#include "sofie_soa/memory/alpaka_memory.hpp"
#include "jet_tagger.hpp"
#include "sofie_soa/runtime/ragged.hpp"
#include "track_classifier.hpp"

using namespace sofie_soa;
using Acc = compat::Acc<alpaka::TagCpuSerial>;
using Queue = compat::DefaultQueue<Acc>;
using Classifier = sofie_soa_generated::track_classifier::Session<Acc>;
using Tagger = sofie_soa_generated::jet_tagger::Session<Acc>;

/// The track collection: ../tracks.py's LAYOUT (CMS GENERATE_SOA_LAYOUT rules) plus the simulation's truth.
constexpr auto kTrackLayout = make_fixed_layout(
    column<float>("pt"), column<float>("eta"), column<float>("phi"), column<float>("chi2"),
    column<std::int8_t>("nLayers"), column<std::int32_t>("nHits"), column<float>("dxy"), column<float>("dz"),
    column<std::int8_t>("charge"), eigen_column<float, 5>("state"), eigen_column<float, 15>("covariance"),
    scalar<std::int32_t>("nTracks"), column<float>("score"), column<std::uint8_t>("quality"), column<std::uint8_t>("truth"));
const std::vector<std::string> kFeatures = {"pt", "eta", "chi2", "nLayers", "nHits", "dxy", "dz", "covariance[0]"};
constexpr float kThreshold = 0.5f;

/// Counter-based generator (SplitMix64 of seed, event, track, draw): no state shared between threads.
ALPAKA_FN_HOST_ACC inline float uniform(std::uint64_t event, std::int64_t track, std::uint32_t draw) {
  std::uint64_t z = 0x2545F4914F6CDD1DULL ^ (event * 0x9E3779B97F4A7C15ULL) ^ (static_cast<std::uint64_t>(track) << 20) ^ draw;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (static_cast<float>(z >> 40) + 0.5f) / 16777216.f;  // (0, 1)
}

/// Column pointers and pitches of one event's collection, as the kernels take them.
struct TrackColumns {
  float *pt, *eta, *phi, *chi2, *dxy, *dz, *state, *cov, *score;
  std::int8_t *layers, *charge;
  std::int32_t *hits;
  std::uint8_t *quality, *truth;
  std::int64_t state_pitch, cov_pitch;  // elements between Eigen coefficients
};

/// Upstream producer: 30% fakes, with wider chi2, fewer layers, larger impact parameters and pt errors.
struct ProduceTracks {
  template <class TAcc>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t n, TrackColumns c, std::uint64_t event) const {
    namespace m = alpaka::math;
    compat::for_each_element(acc, n, [&](std::int64_t i) {
      auto u = [&](std::uint32_t d) { return uniform(event, i, d); };
      auto normal = [&](std::uint32_t d) { return m::sqrt(acc, -2.f * m::log(acc, u(d))) * m::cos(acc, 6.2831853f * u(d + 1)); };
      auto chi2_3dof = [&](std::uint32_t d) { return (normal(d) * normal(d) + normal(d + 2) * normal(d + 2) + normal(d + 4) * normal(d + 4)) / 3.f; };
      const bool genuine = u(0) >= 0.3f;
      c.truth[i] = genuine;
      c.pt[i] = (genuine ? -3.f : -2.f) * m::log(acc, u(1)) + 0.5f;
      c.eta[i] = 5.f * u(2) - 2.5f;
      c.phi[i] = 6.2831853f * u(3) - 3.1415927f;
      c.chi2[i] = genuine ? chi2_3dof(10) : 1.5f * chi2_3dof(10) - 0.3f * m::log(acc, u(4));
      const int layers = genuine ? 3 + static_cast<int>(6 * u(5)) : 3 + static_cast<int>(4 * u(5));
      c.layers[i] = static_cast<std::int8_t>(layers);
      c.hits[i] = layers + (genuine ? static_cast<int>(4 * u(6)) : static_cast<int>(2 * u(6)));
      c.dxy[i] = (genuine ? 0.02f : 0.04f) * normal(20);
      c.dz[i] = (genuine ? 0.05f : 0.1f) * normal(22);
      c.charge[i] = u(7) < 0.5f ? -1 : 1;
      const float state[5] = {c.phi[i], c.eta[i], 1.f / c.pt[i], c.dxy[i], c.dz[i]};
      for (int k = 0; k < 5; ++k) c.state[i + k * c.state_pitch] = state[k];
      for (int k = 0; k < 15; ++k) c.cov[i + k * c.cov_pitch] = (0.1f + 0.9f * u(30 + k)) * 1e-3f;
      c.cov[i] *= (genuine ? 1.f : 1.5f) / (c.pt[i] * c.pt[i]);
    });
  }
};

/// Downstream consumer: quality = score > threshold.
struct SelectTracks {
  template <class TAcc>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t n, float const* score, std::uint8_t* quality,
                                float threshold) const {
    compat::for_each_element(acc, n, [&](std::int64_t i) { quality[i] = score[i] > threshold; });
  }
};

/// The jet collections of ../jets.py: jets with their candidates' range and the tagger's outputs, and candidates.
constexpr auto kJetLayout = make_fixed_layout(
    column<float>("pt"), column<std::int32_t>("begin"), column<std::int32_t>("count"), column<float>("prob_b"),
    column<float>("prob_c"), column<float>("prob_light"), column<std::uint8_t>("flavour"));
constexpr auto kCandidateLayout = make_fixed_layout(
    column<float>("deta"), column<float>("dphi"), column<float>("logPt"), column<float>("d0"), column<float>("dz"),
    column<std::int8_t>("charge"), column<std::int32_t>("jet"));
constexpr std::int64_t kP = 64;  // candidates per jet the tagger reads
constexpr std::uint64_t kJetDraws = 1ULL << 40;  // the jets' random numbers: events offset from the tracks'

/// Column pointers of one event's candidates and their jets, as the producer kernel takes them.
struct CandidateColumns {
  float *deta, *dphi, *logPt, *d0, *dz;
  std::int8_t* charge;
  std::int32_t const *jet, *count;
  std::uint8_t const* flavour;
  float const* pt;
};

/// Upstream producer of candidates: per flavour (b, c, light) a width in (deta, dphi) and a displaced fraction
/// (large |d0|, |dz|), as ../jets.py simulates them.
struct ProduceCandidates {
  template <class TAcc>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t m, CandidateColumns c, std::uint64_t event) const {
    namespace a = alpaka::math;
    compat::for_each_element(acc, m, [&](std::int64_t j) {
      auto u = [&](std::uint32_t d) { return uniform(kJetDraws + event, j, d); };
      auto normal = [&](std::uint32_t d) { return a::sqrt(acc, -2.f * a::log(acc, u(d))) * a::cos(acc, 6.2831853f * u(d + 1)); };
      const int f = c.flavour[c.jet[j]];
      const float width = f == 0 ? 0.08f : f == 1 ? 0.09f : 0.11f, fraction = f == 0 ? 0.25f : f == 1 ? 0.12f : 0.02f;
      c.deta[j] = width * normal(0);
      c.dphi[j] = width * normal(2);
      const float count = static_cast<float>(c.count[c.jet[j]] > 0 ? c.count[c.jet[j]] : 1);
      c.logPt[j] = a::log(acc, -a::log(acc, u(4)) * c.pt[c.jet[j]] / count + 0.1f);
      const bool displaced = u(5) < fraction;
      const float sign0 = u(6) < 0.5f ? -1.f : 1.f, sign1 = u(7) < 0.5f ? -1.f : 1.f;
      c.d0[j] = displaced ? -0.1f * a::log(acc, u(8)) * sign0 : 0.01f * normal(10);
      c.dz[j] = displaced ? -0.15f * a::log(acc, u(9)) * sign1 : 0.02f * normal(12);
      const float q = u(14);
      c.charge[j] = static_cast<std::int8_t>(q < 0.35f ? -1 : q < 0.65f ? 0 : 1);
    });
  }
};

struct Counts {
  std::atomic<std::int64_t> tracks{0}, selected{0}, selected_genuine{0}, genuine{0};
  std::atomic<std::int64_t> jets{0}, b{0}, b_tagged{0}, light{0}, light_tagged{0};
};

/// The jet-tagging step of one event: `n` jets drawn on the host (flavour 20% b, 20% c, 60% light; multiplicity
/// uniform around 40, 32, 25, at most 120), their candidates by the producer kernel, the tagger in place.
void tag_jets(Tagger const& tagger, Queue& queue, memory::Allocator<Queue>& allocator, std::int64_t n,
              std::uint64_t event, Counts& counts) {
  const Layout jet_layout(kJetLayout), candidate_layout(kCandidateLayout);
  const std::size_t jet_bytes = jet_layout.byte_size(n);
  void* jet_buffer = allocator.allocate(jet_bytes, queue);
  SoAView jets(jet_buffer, jet_bytes, jet_layout, n);
  std::int64_t m = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    auto u = [&](std::uint32_t d) { return uniform(kJetDraws + event, -1 - i, d); };
    const float f = u(0);
    const int flavour = f < 0.2f ? 0 : f < 0.4f ? 1 : 2;
    const float mean = flavour == 0 ? 40.f : flavour == 1 ? 32.f : 25.f;
    const auto count = std::min<std::int32_t>(static_cast<std::int32_t>(2.f * mean * u(1)), 120);
    jets.column<std::uint8_t>("flavour")[i] = static_cast<std::uint8_t>(flavour);
    jets.column<float>("pt")[i] = 30.f - 50.f * std::log(u(2));
    jets.column<std::int32_t>("begin")[i] = static_cast<std::int32_t>(m);
    jets.column<std::int32_t>("count")[i] = count;
    m += count;
  }
  const std::size_t candidate_bytes = candidate_layout.byte_size(m);
  void* candidate_buffer = allocator.allocate(candidate_bytes, queue);
  SoAView cands(candidate_buffer, candidate_bytes, candidate_layout, m);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int32_t k = 0; k < jets.column<std::int32_t>("count")[i]; ++k)
      cands.column<std::int32_t>("jet")[jets.column<std::int32_t>("begin")[i] + k] = static_cast<std::int32_t>(i);
  const CandidateColumns c{cands.column<float>("deta"), cands.column<float>("dphi"), cands.column<float>("logPt"),
                           cands.column<float>("d0"), cands.column<float>("dz"), cands.column<std::int8_t>("charge"),
                           cands.column<std::int32_t>("jet"), jets.column<std::int32_t>("count"),
                           jets.column<std::uint8_t>("flavour"), jets.column<float>("pt")};
  compat::launch<Acc>(queue, m, ProduceCandidates{}, c, event);
  // The tagger's inputs: the candidates' columns over the jets' ranges, padded to 64 in the kernels' loads.
  const runtime::IndexColumn begin = runtime::index_column(jets, "begin"), count = runtime::index_column(jets, "count");
  const auto points = runtime::RaggedView::from_begin_count(cands.tensor({"deta", "dphi"}), begin, count, kP);
  const auto features =
      runtime::RaggedView::from_begin_count(cands.tensor({"logPt", "d0", "dz", "charge"}), begin, count, kP);
  tagger.infer(queue, {points, features, points.mask()}, {jets.tensor({"prob_b", "prob_c", "prob_light"})});
  alpaka::wait(queue);
  for (std::int64_t i = 0; i < n; ++i) {
    const int flavour = jets.column<std::uint8_t>("flavour")[i];
    const bool tagged = jets.column<float>("prob_b")[i] > 0.5f;
    counts.b += flavour == 0;
    counts.b_tagged += flavour == 0 && tagged;
    counts.light += flavour == 2;
    counts.light_tagged += flavour == 2 && tagged;
  }
  counts.jets += n;
  allocator.free(candidate_buffer, candidate_bytes, queue);
  allocator.free(jet_buffer, jet_bytes, queue);
}

/// One stream: its own queue; events first, first + step, ... < events.
void stream(Classifier const& classifier, Tagger const& tagger, Layout const& layout, int first, int step, int events,
            std::int64_t tracks, std::int64_t jets, Counts& counts) {
  Queue queue(compat::device<Acc>());
  auto& allocator = memory::default_allocator(queue);
  for (int event = first; event < events; event += step) {
    const std::int64_t n = tracks;
    const std::size_t bytes = layout.byte_size(n);
    void* buffer = allocator.allocate(bytes, queue);
    SoAView view(buffer, bytes, layout, n);
    TrackColumns c{view.column<float>("pt"), view.column<float>("eta"), view.column<float>("phi"),
                   view.column<float>("chi2"), view.column<float>("dxy"), view.column<float>("dz"),
                   view.column<float>("state"), view.column<float>("covariance"), view.column<float>("score"),
                   view.column<std::int8_t>("nLayers"), view.column<std::int8_t>("charge"),
                   view.column<std::int32_t>("nHits"), view.column<std::uint8_t>("quality"),
                   view.column<std::uint8_t>("truth"),
                   static_cast<std::int64_t>(layout.pitch_bytes("state", n) / sizeof(float)),
                   static_cast<std::int64_t>(layout.pitch_bytes("covariance", n) / sizeof(float))};
    *view.column<std::int32_t>("nTracks") = static_cast<std::int32_t>(n);
    compat::launch<Acc>(queue, n, ProduceTracks{}, c, static_cast<std::uint64_t>(event));
    classifier.infer(queue, {view.tensor(kFeatures)}, {view.tensor({"score"})});
    compat::launch<Acc>(queue, n, SelectTracks{}, c.score, c.quality, kThreshold);
    alpaka::wait(queue);
    std::int64_t selected = 0, selected_genuine = 0, genuine = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      selected += c.quality[i];
      selected_genuine += c.quality[i] & c.truth[i];
      genuine += c.truth[i];
    }
    counts.tracks += n;
    counts.selected += selected;
    counts.selected_genuine += selected_genuine;
    counts.genuine += genuine;
    allocator.free(buffer, bytes, queue);
    if (jets > 0) tag_jets(tagger, queue, allocator, jets, static_cast<std::uint64_t>(event), counts);
  }
}

int main(int argc, char** argv) {
  int streams = 2, events = 100;
  std::int64_t tracks = 5000, jets = 30;
  const char* usage =
      "usage: cmssw_like_chain [--streams S] [--events E] [--tracks T] [--jets J]\n"
      "  Runs E events of T simulated tracks each through producer -> track classifier (in place, on the SoA) ->\n"
      "  consumer, and of J jets through a candidate producer -> jet tagger (in place, over ragged views), on S\n"
      "  streams (threads with their own queues, one shared session per model); prints events/s, the track\n"
      "  selection's purity and efficiency, and the b-tagging efficiency and mistag rate.\n"
      "  Defaults: --streams 2 --events 100 --tracks 5000 --jets 30.\n";
  for (int a = 1; a < argc; a += 2) {
    const std::string flag = argv[a];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    const bool known = flag == "--streams" || flag == "--events" || flag == "--tracks" || flag == "--jets";
    const long long value = a + 1 < argc ? std::atoll(argv[a + 1]) : 0;
    if (!known || value <= 0) {
      std::fprintf(stderr, "cmssw_like_chain: %s %s\n%s", known ? "expected a positive count after" : "unknown option",
                   flag.c_str(), usage);
      return 2;
    }
    if (flag == "--streams") streams = static_cast<int>(value);
    else if (flag == "--events") events = static_cast<int>(value);
    else if (flag == "--jets") jets = value;
    else tracks = value;
  }
  const Layout layout(kTrackLayout);
  Queue setup(compat::device<Acc>());
  const Classifier classifier(setup);  // one session per model, shared by every stream
  const Tagger tagger(setup);
  Counts counts;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int s = 0; s < streams; ++s)
    pool.emplace_back(stream, std::cref(classifier), std::cref(tagger), std::cref(layout), s, streams, events, tracks,
                      jets, std::ref(counts));
  for (auto& t : pool) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double purity = counts.selected ? static_cast<double>(counts.selected_genuine) / counts.selected : 0.0;
  const double efficiency = counts.genuine ? static_cast<double>(counts.selected_genuine) / counts.genuine : 0.0;
  std::printf("%d events x %lld tracks on %d streams, whole chain (producer, classifier, consumer): %.1f events/s, "
              "%.2f M tracks/s\n", events,
              static_cast<long long>(tracks), streams, events / seconds, counts.tracks / seconds / 1e6);
  const double b_efficiency = counts.b ? static_cast<double>(counts.b_tagged) / counts.b : 0.0;
  const double mistag = counts.light ? static_cast<double>(counts.light_tagged) / counts.light : 0.0;
  std::printf("tagged %lld jets (prob_b > 0.5): b efficiency %.4f, light mistag rate %.4f\n",
              static_cast<long long>(counts.jets.load()), b_efficiency, mistag);
  std::printf("selected %lld of %lld tracks (score > %.2f): purity %.4f, efficiency %.4f\n",
              static_cast<long long>(counts.selected.load()), static_cast<long long>(counts.tracks.load()),
              kThreshold, purity, efficiency);
  return purity > 0.5 && (jets == 0 || b_efficiency > mistag) ? 0 : 1;
}
