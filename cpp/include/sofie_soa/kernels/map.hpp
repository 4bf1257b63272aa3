// sofie_soa/kernels/map.hpp — the element-wise kernel: out[map(0, i)] = op(in_1[map(1, i)], ..., in_k[map(k, i)])
// over every position i of an index map (index_map.hpp), for k = 0 (fills), 1 (unary operators, Cast, copies
// such as Transpose, Slice, Expand, Concat and Tile, which are index maps of Identity), 2 (binary operators with
// ONNX broadcasting) and 3 (Where).
//
// Operands are read as their element types and handed to `op` in their compute types (types.hpp: Half as
// float); the result is stored through cast<Out> (ONNX Cast semantics), which is what Cast itself needs.
// The operators are the functors of functors/unary.hpp and functors/binary.hpp. On CPUs the kernel works in
// chunks along the innermost axis (MapKernel::chunked), on GPUs one element a thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

/// Whether an accessor moves spans of elements (accessors.hpp load_span / store_span).
template <class A, class = void> struct has_load_span : std::false_type {};
template <class A>
struct has_load_span<A, std::void_t<decltype(std::declval<A const&>().load_span(0, 0, 0, nullptr))>>
    : std::true_type {};
template <class A, class = void> struct has_store_span : std::false_type {};
template <class A>
struct has_store_span<A, std::void_t<decltype(std::declval<A const&>().store_span(0, 0, 0, nullptr))>>
    : std::true_type {};

/// Whether an accessor reads or writes the caller's features (StridedIn / StridedOut: a RowSplit `split`).
template <class A, class = void> struct has_split : std::false_type {};
template <class A> struct has_split<A, std::void_t<decltype(std::declval<A const&>().split)>> : std::true_type {};

struct MapKernel {
  /// Elements a CPU thread moves through its buffers at a time (chunked path).
  static constexpr std::int64_t kChunk = 64;

  template <class TAcc, class Op, class Out, class... Ins>
  ALPAKA_FN_ACC void operator()(TAcc const& acc, std::int64_t count, IndexMap<sizeof...(Ins) + 1> map, Op op, Out out,
                                Ins... ins) const {
    if constexpr (!compat::is_gpu<TAcc>() && has_store_span<Out>::value && (has_load_span<Ins>::value && ...)) {
      chunked(acc, count, map, op, out, std::index_sequence_for<Ins...>{}, ins...);
    } else {
      apply(acc, count, map, op, out, std::index_sequence_for<Ins...>{}, ins...);
    }
  }

 private:
  /// One element at a time (GPUs: one element a thread).
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

  /// CPUs: each thread's range in spans along the innermost axis of the index map, at most kChunk long: operands
  /// loaded into buffers (one locate per span), the operator applied over the buffers in a loop that vectorises,
  /// the results stored. A purely element-wise launch (every tensor at the same flat positions) that touches the
  /// caller's features [rows, inner] stored as columns (an SoA: rows one element apart) goes column by column
  /// instead — spans of rows of one feature, read or written contiguously with one dtype dispatch. Every operand is loaded before the span is
  /// stored, so an output that is one of its inputs (in place) reads the old values.
  template <class TAcc, class Op, class Out, std::size_t... I, class... Ins>
  ALPAKA_FN_ACC static void chunked(TAcc const& acc, std::int64_t count, IndexMap<sizeof...(Ins) + 1> const& given,
                                    Op const& op, Out const& out, std::index_sequence<I...>, Ins const&... ins) {
    using T = typename Out::value_type;
    constexpr int K = sizeof...(Ins) + 1;
    const IndexMap<K> map = longest_axis_last(given);
    RowSplit columns{1, count};
    auto pick = [&](auto const& a) {
      if constexpr (has_split<std::decay_t<decltype(a)>>::value)  // features stored as columns (SoA)
        if (columns.inner == 1 && a.split.inner > 1 && a.features[0].stride == 1) columns = a.split;
    };
    pick(out);
    (pick(ins), ...);
    bool by_column = columns.inner > 1 && map.rank == 1 && columns.inner * columns.rows == count;
    for (int t = 0; by_column && t < K; ++t) by_column = map.stride[t][0] == 1 && map.offset[t] == 0;
    const int last_axis = map.rank - 1;
    const std::int64_t inner = by_column ? columns.rows : map.rank > 0 ? map.extent[last_axis] : 1;
    compat::for_each_range(acc, count, [&](std::int64_t first, std::int64_t last) {
      std::tuple<std::array<typename Ins::value_type, kChunk>...> buffers;
      std::array<T, kChunk> results;
      for (std::int64_t i = first; i < last;) {
        const std::int64_t along = inner > 1 ? i % inner : 0;
        const std::int64_t length = std::min({last - i, inner - along, kChunk});
        std::int64_t at[K];
        std::int64_t step[K];
        if (by_column) {  // i = feature * rows + row
          for (int t = 0; t < K; ++t) {
            at[t] = along * columns.inner + i / inner;
            step[t] = columns.inner;
          }
        } else {
          map.locate(i, at);
          for (int t = 0; t < K; ++t) step[t] = map.rank > 0 ? map.stride[t][last_axis] : 0;
        }
        (ins.load_span(at[I + 1], step[I + 1], length, std::get<I>(buffers).data()), ...);
        for (std::int64_t j = 0; j < length; ++j) results[j] = cast<T>(op(acc, compute(std::get<I>(buffers)[j])...));
        out.store_span(at[0], step[0], length, results.data());
        i += length;
      }
    });
  }

  /// The map with another axis moved last when the last is short (under kChunk): the longest axis along which
  /// some tensor is contiguous (stride ±1), if it is at least twice as long. Spans then run along it: a transpose
  /// to a small innermost extent ([n, P, C] from [n, C, P], C = 2) moves spans of P elements read contiguously,
  /// not of 2. The positions are the same, visited in another order.
  template <int K> ALPAKA_FN_HOST_ACC static IndexMap<K> longest_axis_last(IndexMap<K> map) {
    const int last = map.rank - 1;
    if (map.rank < 2 || map.extent[last] >= kChunk) return map;
    int longest = last;
    for (int d = 0; d < last; ++d) {
      bool contiguous = false;
      for (int t = 0; t < K; ++t) contiguous = contiguous || map.stride[t][d] == 1 || map.stride[t][d] == -1;
      if (contiguous && map.extent[d] > map.extent[longest]) longest = d;
    }
    if (map.extent[longest] < 2 * map.extent[last]) return map;
    auto swap = [](std::int64_t& a, std::int64_t& b) {
      const std::int64_t c = a;
      a = b;
      b = c;
    };
    swap(map.extent[longest], map.extent[last]);
    for (int t = 0; t < K; ++t) swap(map.stride[t][longest], map.stride[t][last]);
    return map;
  }
};

}  // namespace sofie_soa::kernels
