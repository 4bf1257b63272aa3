// Unit tests of SoAView: buffer checks, typed column access, tensor features and DLPack stride rules.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "sofie_soa/core.hpp"

using namespace sofie_soa;

int main() {
  const Layout layout(make_fixed_layout(column<float>("x"), column<float>("y"), column<std::int32_t>("z"),
                                        scalar<float>("s"), eigen_column<float, 3>("v"), column<float>("w")));
  alignas(128) static std::byte buffer[4096];
  const std::int64_t n = 10;

  SoAView view(buffer, sizeof(buffer), layout, n);
  CHECK(view.data("y") == buffer + 128);
  float* x = view.column<float>("x");
  x[3] = 2.5f;
  CHECK(*reinterpret_cast<float*>(buffer + 12) == 2.5f);
  EXPECT_THROWS(view.column<double>("x"), std::invalid_argument, "member 'x' holds float32, not float64");

  // Buffer checks: too small, misaligned (relaxed: largest element; enforced: the alignment).
  EXPECT_THROWS(SoAView(buffer, 100, layout, n), std::invalid_argument, "100 bytes is too small");
  EXPECT_THROWS(SoAView(buffer + 2, 4000, layout, n), std::invalid_argument, "not aligned to 4 bytes");
  const Layout enforced(layout.members(), 128, true);
  SoAView(buffer + 0, 4096, enforced, n);
  EXPECT_THROWS(SoAView(buffer + 64, 4000, enforced, n), std::invalid_argument, "not aligned to 128 bytes");

  // Adjacent same-dtype columns export as strides (1, P) — CMS TensorCollection's rule.
  std::string why;
  const TensorView xy = view.tensor({"x", "y"});
  const auto s1 = xy.dlpack_strides(&why);
  CHECK(s1 && (*s1)[0] == 1 && (*s1)[1] == 32);
  // An Eigen vector expands to its coefficients, P apart.
  const TensorView v = view.tensor({"v"});
  CHECK(v.features.size() == 3 && v.features[2].label == "v[2]" && v.features[2].data == view.data("v") + 2 * 128);
  CHECK(v.dlpack_strides(&why).has_value());
  // Mixed dtypes, broadcast scalars and uneven spacing are valid tensors but not one DLPack array.
  const TensorView mixed = view.tensor({"x", "z"});
  CHECK(!mixed.dlpack_strides(&why) && why.find("differ in dtype") != std::string::npos);
  const TensorView with_scalar = view.tensor({"x", "s"});
  CHECK(with_scalar.features[1].stride == 0);
  CHECK(!with_scalar.dlpack_strides(&why) && why.find("'s' is a broadcast scalar") != std::string::npos);
  const TensorView uneven = view.tensor({"x", "y", "w"});
  CHECK(!uneven.dlpack_strides(&why) && why.find("not evenly spaced") != std::string::npos);
  // Coefficient selection: flat index and (r, c).
  CHECK(view.tensor({"v[1]"}).features[0].data == view.data("v") + 128);
  CHECK(view.tensor({"v[2,0]"}).features[0].data == view.data("v") + 256);
  EXPECT_THROWS(view.tensor({"v[3]"}), std::invalid_argument, "k < 3");
  EXPECT_THROWS(view.tensor({"v[a]"}), std::invalid_argument, "'v[a]'");
  EXPECT_THROWS(view.tensor({"x[0]"}), std::invalid_argument, "only Eigen columns");
  EXPECT_THROWS(view.tensor({"x", "x"}), std::invalid_argument, "'x' is selected twice");
  EXPECT_THROWS(view.tensor({}), std::invalid_argument, "at least one feature");
  EXPECT_THROWS(view.tensor({"q"}), UnknownMember, "no member 'q'");
  return TEST_MAIN_RESULT();
}
