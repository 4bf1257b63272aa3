// sofie_soa/kernels/map.hpp — the element-wise kernel: out[map(0, i)] = op(in_1[map(1, i)], ..., in_k[map(k, i)])
// over every position i of an index map (index_map.hpp), for k = 0 (fills), 1 (unary operators, Cast, copies
// such as Transpose, Slice, Expand, Concat and Tile, which are index maps of Identity), 2 (binary operators with
// ONNX broadcasting) and 3 (Where).
//
// Operands are read as their element types and handed to `op` in their compute types (types.hpp: Half as
// float); the result is stored through cast<Out> (ONNX Cast semantics), which is what Cast itself needs.
// The operators are the functors of functors/unary.hpp and functors/binary.hpp.
#pragma once

#include <cstdint>
#include <utility>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

struct MapKernel {
  template <class TAcc, class Op, class Out, class... Ins>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<sizeof...(Ins) + 1> map, Op op, Out out,
                                Ins... ins) const {
    apply(acc, count, map, op, out, std::index_sequence_for<Ins...>{}, ins...);
  }

 private:
  template <class TAcc, class Op, class Out, std::size_t... I, class... Ins>
  ALPAKA_FN_ACC static void apply(TAcc const& acc, std::int64_t count, IndexMap<sizeof...(Ins) + 1> const& map,
                                  Op const& op, Out const& out, std::index_sequence<I...>, Ins const&... ins) {
    using T = typename Out::value_type;
    constexpr int K = sizeof...(Ins) + 1;
    compat::for_each_element(acc, count, [&](std::int64_t i) {
      std::int64_t at[K];
      map.locate(i, at);
      out.store(at[0], cast<T>(op(acc, compute(ins[at[I + 1]])...)));
    });
  }
};

}  // namespace sofie_soa::kernels
