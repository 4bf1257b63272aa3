// The main() of the kernel unit tests: Suite<TAcc>{}.run() on alpaka's serial CPU accelerator and, where enabled,
// its threads accelerator; returns the failure count of check.hpp.
#pragma once

#include "check.hpp"
#include "sofie_soa/alpaka/compat.hpp"

namespace sofie_soa_test {

template <template <class> class Suite> int run_on_cpu_accelerators() {
  Suite<sofie_soa::compat::Acc<alpaka::TagCpuSerial>>{}.run();
#if defined(ALPAKA_ACC_CPU_B_SEQ_T_THREADS_ENABLED)
  Suite<sofie_soa::compat::Acc<alpaka::TagCpuThreads>>{}.run();
#endif
  return TEST_MAIN_RESULT();
}

}  // namespace sofie_soa_test
