// sofie_soa/runtime/bind.hpp — SoA tensor views (sofie_soa::TensorView) and ragged views (runtime/ragged.hpp) as
// the FeatureRef arrays a session's infer takes, checked against the model's feature counts.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "sofie_soa/core/soa_view.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"
#include "sofie_soa/runtime/ragged.hpp"

namespace sofie_soa::runtime {

/// One input or output of a session: an [n, F] SoA tensor view, or a ragged view ([n, C, P], [n, P, C] or a mask).
using Argument = std::variant<TensorView, RaggedView>;

/// The features of several tensors, one FeatureRef array each, and the array of their addresses.
class FeatureRefs {
 public:
  /// `views[i]` must have `features[i]` features and the same n as views[0], and each feature's dtype must convert
  /// to (inputs) or from (outputs, `output` true) the model's `dtypes[i]` without losing information (core/dtype.hpp
  /// `lossless`) unless `saturate`; a ragged view's ranges must pass RaggedView::validate (disjoint for outputs)
  /// when they are in host memory (`host_memory`; a GPU's kernels clamp them to the collection instead), and a
  /// mask is no output. `names` name them in the std::invalid_argument thrown otherwise.
  FeatureRefs(std::vector<Argument> const& views, std::int64_t const* features, DType const* dtypes,
              char const* const* names, std::size_t count, bool output, bool saturate = false,
              bool host_memory = true) {
    char const* what = output ? "output" : "input";
    if (views.size() != count)
      throw std::invalid_argument(std::string("the model has ") + std::to_string(count) + " " + what + "s, " +
                                  std::to_string(views.size()) + " tensors were given");
    refs_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      auto fail = [&](std::string const& why) {
        throw std::invalid_argument(std::string(what) + " '" + names[i] + "'" + why);
      };
      auto check_dtype = [&](DType dtype, std::string const& label) {
        const DType from = output ? dtypes[i] : dtype, to = output ? dtype : dtypes[i];
        if (!saturate && !lossless(from, to))
          fail(": column '" + label + "' holds " + std::string(name_of(dtype)) + "; converting " +
               std::string(name_of(from)) + " to " + std::string(name_of(to)) + " would lose information");
      };
      std::vector<kernels::FeatureRef> refs;
      std::int64_t n = 0;
      if (auto const* ragged = std::get_if<RaggedView>(&views[i])) {
        if (output && ragged->is_mask()) fail(": a mask is no output");
        try {
          if (host_memory) ragged->validate(output);
        } catch (std::invalid_argument const& e) {
          fail(std::string(": ") + e.what());
        }
        for (Feature const& f : ragged->members().features) check_dtype(f.dtype, f.label);
        refs = ragged->refs();
        n = ragged->n();
      } else {
        TensorView const& view = std::get<TensorView>(views[i]);
        for (Feature const& f : view.features) {
          check_dtype(f.dtype, f.label);
          if (output && f.stride == 0 && view.n > 1)
            fail(": '" + f.label + "' is a scalar: every element of an output needs its own memory");
          refs.push_back({f.data, f.stride, f.dtype});
        }
        n = view.n;
      }
      if (static_cast<std::int64_t>(refs.size()) != features[i])
        fail(" has " + std::to_string(refs.size()) + " features, the model expects " + std::to_string(features[i]));
      if (i == 0) n_ = n;
      if (n != n_) fail(" has n = " + std::to_string(n) + ", '" + names[0] + "' has n = " + std::to_string(n_));
      refs_.push_back(std::move(refs));
      pointers_.push_back(refs_.back().data());
    }
  }

  kernels::FeatureRef const* const* get() const { return pointers_.data(); }
  std::int64_t n() const { return n_; }

 private:
  std::vector<std::vector<kernels::FeatureRef>> refs_;
  std::vector<kernels::FeatureRef const*> pointers_;
  std::int64_t n_ = 0;
};

}  // namespace sofie_soa::runtime
