// sofie_soa/kernels/index_error.hpp — how indexing kernels report an index read from data that is out of range.
//
// Kernels whose indices come from data (Gather, GatherElements, GatherND, ScatterElements, ScatterND) check every
// index against its extent before they address a tensor; an index out of range is never used: the element is
// skipped (nothing read or written through it), and the launch sets the session's error word to its code with
// an atomic compare-and-swap from 0, so the first failing launch (in launch order) is the one reported. The word
// is 4 bytes after the planned workspace; SessionBase zeroes it before the launches, reads it back after them and
// throws naming the node (runtime/session_base.hpp). A launch whose indices are constants checked at compile time
// has no word (nullptr): its checks can never fail.
#pragma once

#include <cstdint>

#include <alpaka/alpaka.hpp>

namespace sofie_soa::kernels {

struct IndexError {
  std::int32_t* word = nullptr;  ///< the session's error word, or nullptr (indices checked at compile time)
  std::int32_t code = 0;         ///< this launch's code: 1 + its number among the session's checks

  template <class TAcc> ALPAKA_FN_ACC void raise(TAcc const& acc) const {
    if (word != nullptr) alpaka::atomicCas(acc, word, std::int32_t{0}, code);
  }
};

/// `index` wrapped into [0, extent) as ONNX allows negative indices (index + extent when index < 0); false when
/// it lies outside [-extent, extent) (and when `negative` is false, outside [0, extent)).
ALPAKA_FN_HOST_ACC inline bool wrap_index(std::int64_t& index, std::int64_t extent, bool negative = true) {
  if (index < 0 && negative) index += extent;
  return index >= 0 && index < extent;
}

}  // namespace sofie_soa::kernels
