// sofie_soa/core/soa_view.hpp — a layout laid over one pre-allocated buffer, and logical [n, F] tensors
// over its members.
//
// SoAView does not own memory: the caller (a PortableCollection, a Python SoA) keeps the buffer alive.
// A TensorView is what the inference engine reads and writes: per feature a pointer, a dtype and an element
// stride, so int32 hit counts beside float32 momenta, non-adjacent columns, single Eigen coefficients and
// broadcast scalars all feed one model input without a staging copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sofie_soa/core/layout.hpp"

namespace sofie_soa {

/// One feature (one column of a logical [n, F] tensor): element i is at data + i * stride elements.
struct Feature {
  std::string label;     ///< "x", "v[1]" or "s" — how the feature was selected
  std::byte* data;       ///< address of element 0
  DType dtype;
  std::int64_t stride;   ///< in elements of dtype; 0 for a broadcast scalar
};

/// A logical [n, F] tensor over SoA members.
struct TensorView {
  std::int64_t n = 0;
  std::vector<Feature> features;

  /// DLPack strides (elements) for exporting the tensor as one strided [n, F] array, or std::nullopt with
  /// `why` set when no single (dtype, strides) pair describes it (mixed dtypes, uneven spacing, broadcast
  /// scalars beside columns). CMS's TensorCollection rule — adjacent same-dtype columns give strides (1, P) —
  /// is the common case of "evenly spaced".
  std::optional<std::vector<std::int64_t>> dlpack_strides(std::string* why) const {
    const Feature& first = features.front();
    const std::int64_t esize = static_cast<std::int64_t>(size_of(first.dtype));
    std::int64_t spacing = 0;
    for (std::size_t f = 1; f < features.size(); ++f) {
      const Feature& a = features[f - 1];
      const Feature& b = features[f];
      if (b.dtype != first.dtype) {
        *why = "features '" + first.label + "' (" + std::string(name_of(first.dtype)) + ") and '" + b.label +
               "' (" + std::string(name_of(b.dtype)) + ") differ in dtype";
        return std::nullopt;
      }
      if ((b.stride == 0) != (first.stride == 0)) {
        *why = "feature '" + (b.stride == 0 ? b.label : first.label) + "' is a broadcast scalar beside columns";
        return std::nullopt;
      }
      const std::int64_t bytes = b.data - a.data;
      if (bytes % esize != 0 || (f > 1 && bytes / esize != spacing)) {
        *why = "features are not evenly spaced in memory ('" + a.label + "' to '" + b.label + "' is " +
               std::to_string(bytes) + " bytes)";
        return std::nullopt;
      }
      spacing = bytes / esize;
    }
    return std::vector<std::int64_t>{first.stride, spacing};
  }
};

class SoAView {
 public:
  /// Lays `layout` over `capacity` bytes at `base` for n elements. Throws std::invalid_argument when n is out
  /// of range, the buffer is smaller than layout.byte_size(n), or `base` is misaligned: to the layout
  /// alignment when it enforces alignment (CMS enforced mode), else to the largest element size (so that every
  /// typed access is aligned).
  SoAView(void* base, std::size_t capacity, const Layout& layout, std::int64_t n)
      : base_(static_cast<std::byte*>(base)), layout_(&layout), n_(n) {
    const std::size_t need = layout.byte_size(n);
    if (capacity < need)
      throw std::invalid_argument("buffer of " + std::to_string(capacity) + " bytes is too small: the layout needs " +
                                  std::to_string(need) + " bytes for n = " + std::to_string(n));
    const std::size_t align = layout.enforce_alignment() ? layout.alignment() : layout.max_element_size();
    const auto address = reinterpret_cast<std::uintptr_t>(base);
    if (address % align != 0)
      throw std::invalid_argument("buffer base address 0x" + hex(address) + " is not aligned to " +
                                  std::to_string(align) + " bytes (" +
                                  (layout.enforce_alignment() ? "the layout enforces its alignment"
                                                              : "the largest element of the layout") + ")");
    offsets_ = layout.offsets(n);
  }

  std::int64_t size() const { return n_; }
  const Layout& layout() const { return *layout_; }
  std::byte* base() const { return base_; }

  /// Start of member `name` (element 0, coefficient 0). Throws UnknownMember.
  std::byte* data(const std::string& name) const { return base_ + offsets_[layout_->index_of(name)]; }

  /// Typed start of member `name`; throws std::invalid_argument when T is not the member's dtype.
  template <typename T> T* column(const std::string& name) const {
    const Member& m = layout_->member(name);
    if (m.shape.dtype != dtype_of<T>())
      throw std::invalid_argument("member '" + name + "' holds " + std::string(name_of(m.shape.dtype)) + ", not " +
                                  std::string(name_of(dtype_of<T>())));
    return reinterpret_cast<T*>(data(name));
  }

  /// The [n, F] tensor over `selectors`, each a member name ("x"; an Eigen column expands to all its
  /// coefficients in column-major order), one Eigen coefficient ("v[1]" flat index, or "m[r,c]"), or a scalar
  /// (broadcast, stride 0). Throws UnknownMember, or std::invalid_argument for an empty list, a repeated
  /// feature or a coefficient out of range.
  TensorView tensor(const std::vector<std::string>& selectors) const {
    if (selectors.empty()) throw std::invalid_argument("a tensor needs at least one feature");
    TensorView t{n_, {}};
    std::vector<std::pair<std::size_t, std::int64_t>> selected;  // (member index, coefficient) per feature
    for (const auto& sel : selectors) add_features(sel, t.features, selected);
    for (std::size_t i = 0; i < selected.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (selected[i] == selected[j])
          throw std::invalid_argument("feature '" + t.features[i].label + "' is selected twice");
    return t;
  }

 private:
  void add_features(const std::string& sel, std::vector<Feature>& out,
                    std::vector<std::pair<std::size_t, std::int64_t>>& selected) const {
    const auto bracket = sel.find('[');
    const std::string name = sel.substr(0, bracket);
    const std::size_t index = layout_->index_of(name);
    const Member& m = layout_->members()[index];
    std::byte* start = data(name);
    const std::int64_t pitch = pitch_elements(m.shape, n_, layout_->alignment());
    const std::size_t esize = size_of(m.shape.dtype);
    auto coefficient = [&](std::int64_t k, std::string label) {
      selected.emplace_back(index, k);
      out.push_back({std::move(label), start + k * pitch * static_cast<std::int64_t>(esize), m.shape.dtype, 1});
    };
    if (m.shape.kind == MemberKind::scalar || m.shape.kind == MemberKind::column) {
      if (bracket != std::string::npos)
        throw std::invalid_argument("'" + sel + "': only Eigen columns take a coefficient index");
      selected.emplace_back(index, 0);
      out.push_back({sel, start, m.shape.dtype, m.shape.kind == MemberKind::scalar ? 0 : 1});
      return;
    }
    if (bracket == std::string::npos) {
      for (std::int64_t k = 0; k < m.shape.coefficients(); ++k) coefficient(k, name + "[" + std::to_string(k) + "]");
      return;
    }
    coefficient(parse_coefficient(sel, bracket, m), sel);
  }

  /// "v[k]" → k; "m[r,c]" → r + rows * c (Eigen column-major order).
  static std::int64_t parse_coefficient(const std::string& sel, std::size_t bracket, const Member& m) {
    std::vector<std::int64_t> idx;
    if (sel.back() == ']') {
      std::string part;
      for (std::size_t i = bracket + 1; i < sel.size(); ++i) {
        const char c = sel[i];
        if (c >= '0' && c <= '9' && part.size() < 9) {
          part += c;
        } else if ((c == ',' || c == ']') && !part.empty()) {
          idx.push_back(std::stoll(part));
          part.clear();
        } else if (c != ' ') {
          idx.clear();
          break;
        }
      }
    }
    const bool flat = idx.size() == 1 && idx[0] < m.shape.coefficients();
    const bool pair = idx.size() == 2 && idx[0] < m.shape.rows && idx[1] < m.shape.cols;
    if (!flat && !pair)
      throw std::invalid_argument("'" + sel + "': Eigen column '" + m.name + "' has shape (" +
                                  std::to_string(m.shape.rows) + ", " + std::to_string(m.shape.cols) +
                                  "); select a coefficient as [k] with k < " + std::to_string(m.shape.coefficients()) +
                                  " or as [r,c]");
    return flat ? idx[0] : idx[0] + std::int64_t{m.shape.rows} * idx[1];
  }

  static std::string hex(std::uintptr_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    do { s.insert(s.begin(), digits[v % 16]); v /= 16; } while (v);
    return s;
  }

  std::byte* base_;
  const Layout* layout_;
  std::int64_t n_;
  std::vector<std::size_t> offsets_;
};

}  // namespace sofie_soa
