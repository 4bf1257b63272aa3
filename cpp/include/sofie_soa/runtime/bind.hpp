// sofie_soa/runtime/bind.hpp — SoA tensor views (sofie_soa::TensorView) as the FeatureRef arrays a session's
// infer takes, checked against the model's feature counts.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sofie_soa/core/soa_view.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"

namespace sofie_soa::runtime {

/// The features of several tensors, one FeatureRef array each, and the array of their addresses.
class FeatureRefs {
 public:
  /// `views[i]` must have `features[i]` features and the same n as views[0], and each feature's dtype must convert
  /// to (inputs) or from (outputs, `output` true) the model's `dtypes[i]` without losing information (core/dtype.hpp
  /// `lossless`) unless `saturate`; `names` name them in the std::invalid_argument thrown otherwise.
  FeatureRefs(std::vector<TensorView> const& views, std::int64_t const* features, DType const* dtypes,
              char const* const* names, std::size_t count, bool output, bool saturate = false) {
    char const* what = output ? "output" : "input";
    if (views.size() != count)
      throw std::invalid_argument(std::string("the model has ") + std::to_string(count) + " " + what + "s, " +
                                  std::to_string(views.size()) + " tensors were given");
    refs_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      TensorView const& view = views[i];
      if (static_cast<std::int64_t>(view.features.size()) != features[i])
        throw std::invalid_argument(std::string(what) + " '" + names[i] + "' has " +
                                    std::to_string(view.features.size()) + " features, the model expects " +
                                    std::to_string(features[i]));
      if (view.n != views[0].n)
        throw std::invalid_argument(std::string(what) + " '" + names[i] + "' has n = " + std::to_string(view.n) +
                                    ", '" + names[0] + "' has n = " + std::to_string(views[0].n));
      std::vector<kernels::FeatureRef> refs;
      for (Feature const& f : view.features) {
        const DType from = output ? dtypes[i] : f.dtype, to = output ? f.dtype : dtypes[i];
        if (!saturate && !lossless(from, to))
          throw std::invalid_argument(std::string(what) + " '" + names[i] + "': column '" + f.label + "' holds " +
                                      std::string(name_of(f.dtype)) + "; converting " + std::string(name_of(from)) +
                                      " to " + std::string(name_of(to)) + " would lose information");
        if (output && f.stride == 0 && view.n > 1)
          throw std::invalid_argument(std::string(what) + " '" + names[i] + "': '" + f.label +
                                      "' is a scalar: every element of an output needs its own memory");
        refs.push_back({f.data, f.stride, f.dtype});
      }
      refs_.push_back(std::move(refs));
      pointers_.push_back(refs_.back().data());
    }
    n_ = views.empty() ? 0 : views[0].n;
  }

  kernels::FeatureRef const* const* get() const { return pointers_.data(); }
  std::int64_t n() const { return n_; }

 private:
  std::vector<std::vector<kernels::FeatureRef>> refs_;
  std::vector<kernels::FeatureRef const*> pointers_;
  std::int64_t n_ = 0;
};

}  // namespace sofie_soa::runtime
