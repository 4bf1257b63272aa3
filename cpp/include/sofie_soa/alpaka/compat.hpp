// sofie_soa/alpaka/compat.hpp — the only place that knows alpaka versions differ.
//
// Compiles unchanged on the alpaka develop snapshot 9716c567 (0.9 → 1.0, Pltf API), on 1.2+ and on 2.x, in C++17
// and C++20 (the portable subset listed in the project's alpaka.md): devices are looked up here, work divisions
// are computed by hand, and kernels loop over elements with for_each_element instead of uniformElements (1.2+).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <type_traits>

#include <alpaka/alpaka.hpp>

namespace sofie_soa::compat {

using Dim1 = alpaka::DimInt<1>;
using Idx = std::size_t;

/// The accelerator type of an alpaka tag (TagCpuSerial, TagGpuCudaRt, ...) with 1-D indices.
template <class TTag> using Acc = typename alpaka::trait::TagToAcc<TTag, Dim1, Idx>::type;

/// Device number `index` of the accelerator's platform. alpaka >= 1.0 has platform objects; the snapshot has
/// the static Pltf API (detected by header, since its version.hpp already says 1.0.0).
template <class TAcc> alpaka::Dev<TAcc> device(std::size_t index = 0) {
#if __has_include(<alpaka/platform/PlatformCpu.hpp>)
  static alpaka::Platform<TAcc> const platform{};
  return alpaka::getDevByIdx(platform, index);
#else
  return alpaka::getDevByIdx<TAcc>(index);
#endif
}

/// The host CPU device (source of host-to-device copies), whatever accelerators are enabled.
inline alpaka::DevCpu host() {
#if __has_include(<alpaka/platform/PlatformCpu.hpp>)
  static alpaka::PlatformCpu const platform{};
  return alpaka::getDevByIdx(platform, 0);
#else
  return alpaka::getDevByIdx<alpaka::PltfCpu>(0u);
#endif
}

template <class TAcc> constexpr bool is_gpu() {
#if defined(ALPAKA_ACC_GPU_CUDA_ENABLED) || defined(ALPAKA_ACC_GPU_HIP_ENABLED)
  return alpaka::accMatchesTags<TAcc, alpaka::TagGpuCudaRt, alpaka::TagGpuHipRt>;
#else
  return false;
#endif
}

/// Whether work enqueued on TQueue has completed when enqueue returns (alpaka::Blocking queues).
template <class TQueue>
inline constexpr bool is_blocking = std::is_same_v<TQueue, alpaka::Queue<alpaka::Dev<TQueue>, alpaka::Blocking>>;

/// The queue a session uses unless told otherwise: blocking on CPUs, non-blocking on GPUs (as CMS does).
template <class TAcc>
using DefaultQueue = alpaka::Queue<TAcc, std::conditional_t<is_gpu<TAcc>(), alpaka::NonBlocking, alpaka::Blocking>>;

/// A 1-D work division covering `count` elements. GPU: 256 threads a block, one element a thread, blocks
/// clamped (kernels loop grid-stride). CPU: one thread a block and contiguous element chunks, except
/// TagCpuThreads, whose parallelism is threads within one block.
template <class TAcc> alpaka::WorkDivMembers<Dim1, Idx> work_division(std::int64_t count) {
  using Vec = alpaka::Vec<Dim1, Idx>;
  const Idx n = static_cast<Idx>(std::max<std::int64_t>(count, 1));
  if constexpr (is_gpu<TAcc>()) {
    const Idx threads = 256;
    const Idx blocks = std::min<Idx>((n + threads - 1) / threads, Idx{1} << 16);
    return alpaka::WorkDivMembers<Dim1, Idx>(Vec(blocks), Vec(threads), Vec(Idx{1}));
  } else {
    static const Idx workers = std::max<Idx>(1, std::thread::hardware_concurrency());  // reads sysfs: once
#if defined(ALPAKA_ACC_CPU_B_SEQ_T_THREADS_ENABLED)
    if constexpr (alpaka::accMatchesTags<TAcc, alpaka::TagCpuThreads>) {
      const Idx threads = std::min(workers, n);
      return alpaka::WorkDivMembers<Dim1, Idx>(Vec(Idx{1}), Vec(threads), Vec((n + threads - 1) / threads));
    }
#endif
    const Idx blocks = alpaka::accMatchesTags<TAcc, alpaka::TagCpuSerial> ? 1 : std::min(workers, n);
    return alpaka::WorkDivMembers<Dim1, Idx>(Vec(blocks), Vec(Idx{1}), Vec((n + blocks - 1) / blocks));
  }
}

/// Calls f(i) for every i in [0, count) that this thread owns: contiguous chunks of the work division's
/// elements per thread, striding over the grid.
template <class TAcc, class F> ALPAKA_FN_ACC void for_each_element(TAcc const& acc, std::int64_t count, F&& f) {
  const auto grid = static_cast<std::int64_t>(alpaka::getWorkDiv<alpaka::Grid, alpaka::Threads>(acc)[0]);
  const auto elems = static_cast<std::int64_t>(alpaka::getWorkDiv<alpaka::Thread, alpaka::Elems>(acc)[0]);
  const auto thread = static_cast<std::int64_t>(alpaka::getIdx<alpaka::Grid, alpaka::Threads>(acc)[0]);
  for (std::int64_t first = thread * elems; first < count; first += grid * elems) {
    const std::int64_t last = first + elems < count ? first + elems : count;
    for (std::int64_t i = first; i < last; ++i) f(i);
  }
}

/// Calls f(first, last) for each contiguous range of [0, count) that this thread owns (the ranges for_each_element
/// visits one by one).
template <class TAcc, class F> ALPAKA_FN_ACC void for_each_range(TAcc const& acc, std::int64_t count, F&& f) {
  const auto grid = static_cast<std::int64_t>(alpaka::getWorkDiv<alpaka::Grid, alpaka::Threads>(acc)[0]);
  const auto elems = static_cast<std::int64_t>(alpaka::getWorkDiv<alpaka::Thread, alpaka::Elems>(acc)[0]);
  const auto thread = static_cast<std::int64_t>(alpaka::getIdx<alpaka::Grid, alpaka::Threads>(acc)[0]);
  for (std::int64_t first = thread * elems; first < count; first += grid * elems)
    f(first, first + elems < count ? first + elems : count);
}

/// Enqueues `kernel(acc, args...)` over `count` elements on `queue`; nothing is enqueued when count is 0.
template <class TAcc, class TQueue, class TKernel, class... TArgs>
void launch(TQueue& queue, std::int64_t count, TKernel const& kernel, TArgs const&... args) {
  if (count <= 0) return;
  alpaka::exec<TAcc>(queue, work_division<TAcc>(count), kernel, count, args...);
}

}  // namespace sofie_soa::compat
