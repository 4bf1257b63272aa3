// sofie_soa/kernels/fill.hpp — Range counted at run time: out[i] = start + i * delta (Range-11 up to a multiple
// of the element count, whose length is only known then). Constant fills are MapKernel with fn::Constant.
#pragma once

#include <cstdint>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

struct RangeKernel {
  template <class TAcc, class Out, class T>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, Out out, T start, T delta) const {
    compat::for_each_element(acc, count, [&](std::int64_t i) {
      out.store(i, cast<typename Out::value_type>(compute(start) + static_cast<compute_t<T>>(i) * compute(delta)));
    });
  }
};

}  // namespace sofie_soa::kernels
