// sofie_soa/runtime/c_entry.hpp — the C ABI through which Python drives queues and sessions (ctypes).
//
// Include once in a translation unit after defining SOFIE_SOA_TAG (an alpaka accelerator tag) and, for a model
// library, SOFIE_SOA_SESSION (a generated Session template). Errors are reported as a non-zero return and a
// message copied into `error` (at most `error_size` bytes, NUL-terminated); no C++ exception crosses the ABI.
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"

namespace sofie_soa::entry {
using Acc = compat::Acc<SOFIE_SOA_TAG>;
using Queue = alpaka::Queue<Acc, alpaka::Blocking>;

inline int report(std::exception const& e, char* error, std::size_t error_size) {
  if (error_size > 0) {
    std::strncpy(error, e.what(), error_size - 1);
    error[error_size - 1] = '\0';
  }
  return 1;
}
}  // namespace sofie_soa::entry

#define SOFIE_SOA_EXPORT __attribute__((visibility("default")))

extern "C" {

SOFIE_SOA_EXPORT void* sofie_queue_create(std::int64_t device) {
  return new sofie_soa::entry::Queue(sofie_soa::compat::device<sofie_soa::entry::Acc>(static_cast<std::size_t>(device)));
}
SOFIE_SOA_EXPORT void sofie_queue_wait(void* queue) { alpaka::wait(*static_cast<sofie_soa::entry::Queue*>(queue)); }
SOFIE_SOA_EXPORT void sofie_queue_destroy(void* queue) { delete static_cast<sofie_soa::entry::Queue*>(queue); }

#ifdef SOFIE_SOA_SESSION
using SofieSoaSession = SOFIE_SOA_SESSION<sofie_soa::entry::Acc>;

SOFIE_SOA_EXPORT void* sofie_session_create(void* queue, char* error, std::size_t error_size) {
  try {
    return new SofieSoaSession(alpaka::getDev(*static_cast<sofie_soa::entry::Queue*>(queue)));
  } catch (std::exception const& e) {
    sofie_soa::entry::report(e, error, error_size);
    return nullptr;
  }
}
SOFIE_SOA_EXPORT void sofie_session_destroy(void* session) { delete static_cast<SofieSoaSession*>(session); }

SOFIE_SOA_EXPORT int sofie_session_infer(void* session, void* queue, std::int64_t n, sofie_soa::kernels::FeatureRef const* const* inputs,
                        sofie_soa::kernels::FeatureRef const* const* outputs, char* error, std::size_t error_size) {
  try {
    static_cast<SofieSoaSession*>(session)->infer(*static_cast<sofie_soa::entry::Queue*>(queue), n, inputs, outputs);
    return 0;
  } catch (std::exception const& e) {
    return sofie_soa::entry::report(e, error, error_size);
  }
}
#endif
}
