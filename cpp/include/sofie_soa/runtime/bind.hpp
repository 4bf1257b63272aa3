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
  /// `views[i]` must have `features[i]` features and the same n as views[0]; `what` ("input"/"output") and
  /// `names` name them in the std::invalid_argument thrown otherwise.
  FeatureRefs(std::vector<TensorView> const& views, std::int64_t const* features, char const* const* names,
              std::size_t count, char const* what) {
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
      for (Feature const& f : view.features) refs.push_back({f.data, f.stride, f.dtype});
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
