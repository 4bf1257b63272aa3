// sofie_soa/kernels/accessors.hpp — how kernels read and write tensors of element type T, by the flat row-major
// index of the tensor's logical shape.
//
//   DenseIn<T> / DenseOut<T>: contiguous row-major tensors of T (workspace, weights).
//   StridedIn<T> / StridedOut<T>: a graph input or output in the caller's memory — SoA columns or any strided
//     array — read and written in place. The tensor's logical shape is [outer..., rows, inner...] where `rows`
//     is the row axis (the element count N, or the first axis of a fixed shape); the caller binds one FeatureRef
//     per (outer, inner) position: an address, a dtype and an element stride between rows (0 for a broadcast
//     scalar). Loads convert the column's dtype to T, stores T to the column's dtype (types.hpp `saturate`), so
//     int32 hit counts feed a float model and a float64 column takes a float32 output. A ragged feature
//     (feature_ref.hpp RowMap: jet constituents as [n, C, P]) reads row i's p-th constituent, or its pad value
//     past the row's length, and is written only at valid positions: the gather and padding happen in the load.
//
// `cols` is the innermost extent of the [rows, cols] view dense kernels take (dense.hpp): at(m, k) is element
// m * cols + k. load_span / store_span move `count` elements at flat indices first + j * stride (stride 0:
// one element, broadcast) through a buffer, so that the element-wise kernel (map.hpp) computes over a chunk in a
// loop the compiler vectorises. All accessors are trivially copyable kernel arguments.
#pragma once

#include <cstdint>
#include <cstring>

#include <alpaka/alpaka.hpp>

#include "sofie_soa/core/dtype.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"
#include "sofie_soa/kernels/types.hpp"

namespace sofie_soa::kernels {

template <class T> ALPAKA_FN_HOST_ACC inline T read_as(std::byte const* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T> ALPAKA_FN_HOST_ACC inline void write_as(std::byte* p, T v) { std::memcpy(p, &v, sizeof v); }

/// Element i of an index column as a signed integer.
ALPAKA_FN_HOST_ACC inline std::int64_t load_index(IndexRef const& c, std::int64_t i) {
  return visit(c.dtype, [&](auto tag) -> std::int64_t {
    using S = decltype(tag);
    return saturate<std::int64_t>(read_as<S>(c.data + i * c.stride * static_cast<std::int64_t>(sizeof(S))));
  });
}

/// The first j in [0, size) with parent[j] >= value (parent sorted), by bisection.
ALPAKA_FN_HOST_ACC inline std::int64_t lower_bound_index(IndexRef const& parent, std::int64_t size,
                                                         std::int64_t value) {
  std::int64_t lo = 0, hi = size;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (load_index(parent, mid) < value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/// The collection element that row `row` of feature f reads (RowMap): `row` itself for a plain feature; for a
/// ragged one begin(row) + position, or -1 where that position is past the row's length (padding). Ranges are
/// clamped to the collection, so the result is -1 or in [0, size).
ALPAKA_FN_HOST_ACC inline std::int64_t source_row(FeatureRef const& f, std::int64_t row) {
  RowMap const& m = f.rows;
  if (m.kind == RangeKind::none) return row;
  std::int64_t begin, end;
  if (m.kind == RangeKind::offsets) {
    begin = load_index(m.first, row);
    end = load_index(m.first, row + 1);
  } else if (m.kind == RangeKind::counts) {
    begin = load_index(m.first, row);
    end = begin + load_index(m.second, row);
  } else {
    begin = lower_bound_index(m.first, m.size, row);
    end = lower_bound_index(m.first, m.size, row + 1);
  }
  begin = begin < 0 ? 0 : begin;
  end = end > m.size ? m.size : end;
  const std::int64_t at = begin + m.position;
  return at < end ? at : -1;
}

/// Row `row` of feature f as T (a ragged feature's padding: its pad value; a mask: 1 where valid).
template <class T> ALPAKA_FN_HOST_ACC inline T load_feature(FeatureRef const& f, std::int64_t row) {
  if (f.rows.kind != RangeKind::none) {
    const std::int64_t at = source_row(f, row);
    if (at < 0) return saturate<T>(f.rows.pad);
    if (f.data == nullptr) return saturate<T>(1.0);
    row = at;
  }
  return visit(f.dtype, [&](auto tag) -> T {
    using S = decltype(tag);
    return saturate<T>(read_as<S>(f.data + row * f.stride * static_cast<std::int64_t>(sizeof(S))));
  });
}

/// Row `row` of feature f set to v, converted to the feature's dtype; nothing at a ragged feature's padding.
template <class T> ALPAKA_FN_HOST_ACC inline void store_feature(FeatureRef const& f, std::int64_t row, T v) {
  if (f.rows.kind != RangeKind::none) {
    row = source_row(f, row);
    if (row < 0) return;
  }
  visit(f.dtype, [&](auto tag) {
    using S = decltype(tag);
    write_as(f.data + row * f.stride * static_cast<std::int64_t>(sizeof(S)), saturate<S>(v));
  });
}

/// out[r] = feature f of rows first + r, r < count, as T: the dtype dispatched once, not per row.
template <class T>
ALPAKA_FN_HOST_ACC inline void load_rows(FeatureRef const& f, std::int64_t first, std::int64_t count, T* out) {
  if (f.rows.kind != RangeKind::none) {
    for (std::int64_t r = 0; r < count; ++r) out[r] = load_feature<T>(f, first + r);
    return;
  }
  visit(f.dtype, [&](auto tag) {
    using S = decltype(tag);
    constexpr auto size = static_cast<std::int64_t>(sizeof(S));
    std::byte const* p = f.data + first * f.stride * size;
    if (f.stride == 1) {  // a column: contiguous, so the loop vectorises
      for (std::int64_t r = 0; r < count; ++r) out[r] = saturate<T>(read_as<S>(p + r * size));
    } else {
      for (std::int64_t r = 0; r < count; ++r) out[r] = saturate<T>(read_as<S>(p + r * f.stride * size));
    }
  });
}

/// Feature f of rows first + r, r < count, set to in[r]: the dtype dispatched once, not per row.
template <class T>
ALPAKA_FN_HOST_ACC inline void store_rows(FeatureRef const& f, std::int64_t first, std::int64_t count, T const* in) {
  if (f.rows.kind != RangeKind::none) {
    for (std::int64_t r = 0; r < count; ++r) store_feature(f, first + r, in[r]);
    return;
  }
  visit(f.dtype, [&](auto tag) {
    using S = decltype(tag);
    constexpr auto size = static_cast<std::int64_t>(sizeof(S));
    std::byte* p = f.data + first * f.stride * size;
    for (std::int64_t r = 0; r < count; ++r) write_as(p + r * f.stride * size, saturate<S>(in[r]));
  });
}

/// Asks the CPU to bring the bytes [begin, end) into cache (a hint: no effect on results, none on GPUs).
ALPAKA_FN_HOST_ACC inline void prefetch_bytes(std::byte const* begin, std::byte const* end, std::int64_t step) {
#if !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__) && (defined(__GNUC__) || defined(__clang__))
  for (std::byte const* p = begin; p < end; p += step) __builtin_prefetch(p);
#else
  (void)begin, (void)end, (void)step;
#endif
}

/// Which feature and row hold flat element `flat` of a bound tensor [outer..., rows, inner...].
struct RowSplit {
  std::int64_t inner;  ///< elements after the row axis (the features per row when the row axis is the first)
  std::int64_t rows;   ///< extent of the row axis
  /// locate(flat + j) for j < count, in order, as f(j, feature, row): one division for the whole span.
  template <class F> ALPAKA_FN_HOST_ACC void walk(std::int64_t flat, std::int64_t count, F&& f) const {
    std::int64_t q = flat / inner;
    std::int64_t i = flat - q * inner;
    for (std::int64_t j = 0; j < count; ++j) {
      if (q < rows) {
        f(j, i, q);
      } else {
        f(j, (q / rows) * inner + i, q % rows);
      }
      if (++i == inner) {
        i = 0;
        ++q;
      }
    }
  }
  ALPAKA_FN_HOST_ACC void locate(std::int64_t flat, std::int64_t& feature, std::int64_t& row) const {
    const std::int64_t q = flat / inner;
    const std::int64_t i = flat - q * inner;
    if (q < rows) {  // the row axis is the first (outer == 1), the common case
      row = q;
      feature = i;
    } else {
      row = q % rows;
      feature = (q / rows) * inner + i;
    }
  }
};

template <class T> struct DenseIn {
  using value_type = T;
  T const* data;
  std::int64_t cols = 1;
  ALPAKA_FN_HOST_ACC T operator[](std::int64_t flat) const { return data[flat]; }
  ALPAKA_FN_HOST_ACC void load_span(std::int64_t first, std::int64_t stride, std::int64_t count, T* out) const {
    T const* p = data + first;
    if (stride == 1) {
      for (std::int64_t j = 0; j < count; ++j) out[j] = p[j];
    } else {
      for (std::int64_t j = 0; j < count; ++j) out[j] = p[j * stride];
    }
  }
  ALPAKA_FN_HOST_ACC T at(std::int64_t row, std::int64_t col) const { return data[row * cols + col]; }
  /// out[r] = at(first + r, col) for r < count.
  ALPAKA_FN_HOST_ACC void column(std::int64_t first, std::int64_t count, std::int64_t col, T* out) const {
    for (std::int64_t r = 0; r < count; ++r) out[r] = data[(first + r) * cols + col];
  }
  /// The tensor as a row-major matrix of `cols` columns: its start, with the row pitch in `pitch` (elements).
  ALPAKA_FN_HOST_ACC T const* row_major(std::int64_t& pitch) const {
    pitch = cols;
    return data;
  }
  ALPAKA_FN_HOST_ACC void prefetch(std::int64_t first, std::int64_t count) const {
    prefetch_bytes(reinterpret_cast<std::byte const*>(data + first * cols),
                   reinterpret_cast<std::byte const*>(data + (first + count) * cols), 64);
  }
};

template <class T> struct DenseOut {
  using value_type = T;
  T* data;
  std::int64_t cols = 1;
  ALPAKA_FN_HOST_ACC void store(std::int64_t flat, T v) const { data[flat] = v; }
  ALPAKA_FN_HOST_ACC void store_span(std::int64_t first, std::int64_t stride, std::int64_t count, T const* in) const {
    T* p = data + first;
    if (stride == 1) {
      for (std::int64_t j = 0; j < count; ++j) p[j] = in[j];
    } else {
      for (std::int64_t j = 0; j < count; ++j) p[j * stride] = in[j];
    }
  }
  ALPAKA_FN_HOST_ACC T operator[](std::int64_t flat) const { return data[flat]; }
  ALPAKA_FN_HOST_ACC void set(std::int64_t row, std::int64_t col, T v) const { data[row * cols + col] = v; }
  /// The tensor as a row-major matrix of `cols` columns to write: its start, the row pitch in `pitch`.
  ALPAKA_FN_HOST_ACC T* row_major_out(std::int64_t& pitch) const {
    pitch = cols;
    return data;
  }
  ALPAKA_FN_HOST_ACC void column_store(std::int64_t first, std::int64_t count, std::int64_t col, T const* in) const {
    for (std::int64_t r = 0; r < count; ++r) data[(first + r) * cols + col] = in[r];
  }
};

/// A workspace tensor [B, C, S] (row-major: channels first, as ONNX Conv lays out X and Y) read as the matrix
/// [B * S, C] that a dense layer takes: row m = (b, s) = (m / S, m % S), column c at data[b * C * S + c * S + s].
/// A column of consecutive rows is contiguous within an image, which is what the dense tiles load (one lane per
/// row), so a 1 x 1 convolution needs no transpose of its input (codegen/channels_first.py).
template <class T> struct ChannelsFirstIn {
  using value_type = T;
  T const* data;
  std::int64_t cols;   ///< C, the channels (the matrix's columns)
  std::int64_t sites;  ///< S, the positions per image (elements)
  ALPAKA_FN_HOST_ACC T at(std::int64_t row, std::int64_t col) const {
    const std::int64_t b = row / sites;
    return data[(b * cols + col) * sites + (row - b * sites)];
  }
  /// out[r] = at(first + r, col) for r < count: contiguous runs, one per image the rows span.
  ALPAKA_FN_HOST_ACC void column(std::int64_t first, std::int64_t count, std::int64_t col, T* out) const {
    std::int64_t b = first / sites, s = first - b * sites;
    for (std::int64_t r = 0; r < count; ++b, s = 0) {
      T const* p = data + (b * cols + col) * sites;
      const std::int64_t run = sites - s < count - r ? sites - s : count - r;
      for (std::int64_t j = 0; j < run; ++j) out[r + j] = p[s + j];
      r += run;
    }
  }
  /// Not a row-major matrix: the tiles read it by column.
  ALPAKA_FN_HOST_ACC T const* row_major(std::int64_t& pitch) const {
    pitch = 0;
    return nullptr;
  }
  ALPAKA_FN_HOST_ACC void prefetch(std::int64_t, std::int64_t) const {}
};

/// A workspace tensor [B, M, S] written as the matrix [B * S, M] a dense layer produces (ChannelsFirstIn's
/// inverse): output column j of row m = (b, s) goes to data[b * M * S + j * S + s].
template <class T> struct ChannelsFirstOut {
  using value_type = T;
  T* data;
  std::int64_t cols;   ///< M, the output channels
  std::int64_t sites;  ///< S, the positions per image (elements)
  ALPAKA_FN_HOST_ACC void set(std::int64_t row, std::int64_t col, T v) const {
    const std::int64_t b = row / sites;
    data[(b * cols + col) * sites + (row - b * sites)] = v;
  }
  /// at(first + r, col) = in[r] for r < count.
  ALPAKA_FN_HOST_ACC void column_store(std::int64_t first, std::int64_t count, std::int64_t col, T const* in) const {
    std::int64_t b = first / sites, s = first - b * sites;
    for (std::int64_t r = 0; r < count; ++b, s = 0) {
      T* p = data + (b * cols + col) * sites;
      const std::int64_t run = sites - s < count - r ? sites - s : count - r;
      for (std::int64_t j = 0; j < run; ++j) p[s + j] = in[r + j];
      r += run;
    }
  }
};

/// The start of `features` when they are the columns of a row-major matrix of T (feature c at features[0].data
/// + c elements, one row stride of at least cols elements for all), with that stride in `pitch`; else nullptr.
template <class T>
ALPAKA_FN_HOST_ACC inline T* row_major_features(FeatureRef const* features, RowSplit const& split, std::int64_t cols,
                                               std::int64_t& pitch) {
  pitch = features[0].stride;
  if (split.inner != cols || pitch < cols || features[0].dtype != dtype_of<T>()) return nullptr;
  for (std::int64_t c = 0; c < cols; ++c)
    if (features[c].rows.kind != RangeKind::none || features[c].dtype != features[0].dtype ||
        features[c].stride != pitch ||
        features[c].data != features[0].data + c * static_cast<std::int64_t>(sizeof(T)))
      return nullptr;
  return reinterpret_cast<T*>(features[0].data);
}

template <class T> struct StridedIn {
  using value_type = T;
  FeatureRef const* features;
  RowSplit split;
  std::int64_t cols = 1;
  ALPAKA_FN_HOST_ACC T operator[](std::int64_t flat) const {
    std::int64_t f, r;
    split.locate(flat, f, r);
    return load_feature<T>(features[f], r);
  }
  ALPAKA_FN_HOST_ACC void load_span(std::int64_t first, std::int64_t stride, std::int64_t count, T* out) const {
    std::int64_t f, r;
    if (stride == 1) {
      split.walk(first, count,
                 [&](std::int64_t j, std::int64_t f, std::int64_t r) { out[j] = load_feature<T>(features[f], r); });
    } else if (stride == split.inner && first < split.rows * split.inner &&
               (split.locate(first, f, r), r + count <= split.rows)) {  // rows of one feature: one dtype dispatch
      load_rows(features[f], r, count, out);
    } else {
      for (std::int64_t j = 0; j < count; ++j) out[j] = (*this)[first + j * stride];
    }
  }
  /// Element (row, col) of the [rows, cols] view: feature col of bound row `row` when each view row is one bound
  /// row (the common case: no division), else by the flat index.
  ALPAKA_FN_HOST_ACC T at(std::int64_t row, std::int64_t col) const {
    if (split.inner == cols && row < split.rows) return load_feature<T>(features[col], row);
    return (*this)[row * cols + col];
  }
  /// out[r] = at(first + r, col) for r < count: one feature's contiguous rows when each dense row is one bound row.
  ALPAKA_FN_HOST_ACC void column(std::int64_t first, std::int64_t count, std::int64_t col, T* out) const {
    if (split.inner == cols && first + count <= split.rows) {
      load_rows(features[col], first, count, out);
    } else {
      for (std::int64_t r = 0; r < count; ++r) out[r] = at(first + r, col);
    }
  }
  /// Prefetch hint for rows [first, first + count) of every feature: a line per 64 bytes, or per row when rows
  /// are 64 bytes or more apart; a feature whose first row shares the previous feature's cache line (features
  /// interleaved, as in a row-major array) is covered by that one's.
  ALPAKA_FN_HOST_ACC void prefetch(std::int64_t first, std::int64_t count) const {
    if (split.inner != cols) return;
    std::uintptr_t last_line = 0;
    for (std::int64_t c = 0; c < cols; ++c) {
      FeatureRef const& f = features[c];
      if (f.rows.kind != RangeKind::none) return;  // ragged: rows are not where a stride says
      const std::int64_t pitch = f.stride * static_cast<std::int64_t>(size_of(f.dtype));
      std::byte const* begin = f.data + first * pitch;
      const std::uintptr_t line = reinterpret_cast<std::uintptr_t>(begin) / 64;
      if (pitch == 0 || line == last_line) continue;
      last_line = line;
      prefetch_bytes(begin, begin + count * pitch, pitch < 64 ? 64 : pitch);
    }
  }
  ALPAKA_FN_HOST_ACC T const* row_major(std::int64_t& pitch) const {
    return row_major_features<T>(features, split, cols, pitch);
  }
};

template <class T> struct StridedOut {
  using value_type = T;
  FeatureRef const* features;
  RowSplit split;
  std::int64_t cols = 1;
  ALPAKA_FN_HOST_ACC void store(std::int64_t flat, T v) const {
    std::int64_t f, r;
    split.locate(flat, f, r);
    store_feature(features[f], r, v);
  }
  ALPAKA_FN_HOST_ACC void store_span(std::int64_t first, std::int64_t stride, std::int64_t count, T const* in) const {
    std::int64_t f, r;
    if (stride == 1) {
      split.walk(first, count,
                 [&](std::int64_t j, std::int64_t f, std::int64_t r) { store_feature(features[f], r, in[j]); });
    } else if (stride == split.inner && first < split.rows * split.inner &&
               (split.locate(first, f, r), r + count <= split.rows)) {
      store_rows(features[f], r, count, in);
    } else {
      for (std::int64_t j = 0; j < count; ++j) store(first + j * stride, in[j]);
    }
  }
  ALPAKA_FN_HOST_ACC T operator[](std::int64_t flat) const {
    std::int64_t f, r;
    split.locate(flat, f, r);
    return load_feature<T>(features[f], r);
  }
  /// The features as a row-major matrix to write (row_major_features), or nullptr.
  ALPAKA_FN_HOST_ACC T* row_major_out(std::int64_t& pitch) const {
    return row_major_features<T>(features, split, cols, pitch);
  }
  ALPAKA_FN_HOST_ACC void set(std::int64_t row, std::int64_t col, T v) const {
    if (split.inner == cols && row < split.rows) {
      store_feature(features[col], row, v);
    } else {
      store(row * cols + col, v);
    }
  }
  /// set(first + r, col, in[r]) for r < count.
  ALPAKA_FN_HOST_ACC void column_store(std::int64_t first, std::int64_t count, std::int64_t col, T const* in) const {
    if (split.inner == cols && first + count <= split.rows) {
      store_rows(features[col], first, count, in);
    } else {
      for (std::int64_t r = 0; r < count; ++r) set(first + r, col, in[r]);
    }
  }
};

/// Typed views of the session's weight and workspace bytes at a byte offset (generated code's shorthand).
template <class T> ALPAKA_FN_HOST_ACC inline DenseIn<T> dense_in(std::byte const* base, std::int64_t offset,
                                                              std::int64_t cols = 1) {
  return {reinterpret_cast<T const*>(base + offset), cols};
}
template <class T> ALPAKA_FN_HOST_ACC inline DenseOut<T> dense_out(std::byte* base, std::int64_t offset,
                                                                std::int64_t cols = 1) {
  return {reinterpret_cast<T*>(base + offset), cols};
}
/// [B, C, S] workspace tensors as [B * S, C] matrices (ChannelsFirstIn / ChannelsFirstOut): C channels, S sites.
template <class T> ALPAKA_FN_HOST_ACC inline ChannelsFirstIn<T> channels_first_in(std::byte const* base, std::int64_t offset,
                                                                               std::int64_t cols, std::int64_t sites) {
  return {reinterpret_cast<T const*>(base + offset), cols, sites};
}
template <class T> ALPAKA_FN_HOST_ACC inline ChannelsFirstOut<T> channels_first_out(std::byte* base, std::int64_t offset,
                                                                                 std::int64_t cols, std::int64_t sites) {
  return {reinterpret_cast<T*>(base + offset), cols, sites};
}
template <class T> ALPAKA_FN_HOST_ACC inline T* typed(std::byte* base, std::int64_t offset) {
  return reinterpret_cast<T*>(base + offset);
}
template <class T> ALPAKA_FN_HOST_ACC inline T const* typed(std::byte const* base, std::int64_t offset) {
  return reinterpret_cast<T const*>(base + offset);
}

}  // namespace sofie_soa::kernels
