// Unit tests of the header-only layout arithmetic: the worked example of the CMS SoA reference, compile-time
// layouts checked against runtime ones, and every validation error.
#include <cstdint>
#include <stdexcept>

#include "check.hpp"
#include "sofie_soa/core.hpp"

using namespace sofie_soa;

// The reference test vector: x f32, y f64, z i32, scalar s f32, Eigen Vector3f v; N = 10, A = 128.
constexpr auto kExample = make_fixed_layout(column<float>("x"), column<double>("y"), column<std::int32_t>("z"),
                                            scalar<float>("s"), eigen_column<float, 3>("v"));
static_assert(kExample.byte_size(10) == 896, "worked example: 896 bytes");
static_assert(kExample.offset("v", 10) == 512, "worked example: v at 512");
static_assert(align_size(1, 128) == 128 && align_size(128, 128) == 128 && align_size(0, 128) == 0);

int main() {
  const Layout runtime(kExample);
  CHECK(runtime.byte_size(10) == 896);
  const auto offs = runtime.offsets(10);
  CHECK(offs.size() == 5 && offs[0] == 0 && offs[1] == 128 && offs[2] == 256 && offs[3] == 384 && offs[4] == 512);
  CHECK(runtime.pitch_elements("v", 10) == 32);
  CHECK(runtime.pitch_bytes("s", 10) == 128);
  // n = 0: columns vanish, scalars keep their slot.
  CHECK(runtime.byte_size(0) == 128);
  // n = 33 floats = 132 bytes -> 256 bytes per column slot.
  CHECK(runtime.pitch_bytes("x", 33) == 256 && runtime.pitch_bytes("y", 33) == 384);

  // A runtime layout built member by member matches the compile-time one; a different one does not.
  Layout same({{"x", {MemberKind::column, DType::float32}},
               {"y", {MemberKind::column, DType::float64}},
               {"z", {MemberKind::column, DType::int32}},
               {"s", {MemberKind::scalar, DType::float32}},
               {"v", {MemberKind::eigen_column, DType::float32, 3, 1}}});
  same.check_matches(kExample);
  Layout renamed({{"x", {MemberKind::column, DType::float32}}});
  EXPECT_THROWS(renamed.check_matches(kExample), std::invalid_argument, "member count differs");
  Layout retyped({{"x", {MemberKind::column, DType::float32}},
                  {"y", {MemberKind::column, DType::float32}},
                  {"z", {MemberKind::column, DType::int32}},
                  {"s", {MemberKind::scalar, DType::float32}},
                  {"v", {MemberKind::eigen_column, DType::float32, 3, 1}}});
  EXPECT_THROWS(retyped.check_matches(kExample), std::invalid_argument, "member 'y'");

  // Validation errors name the member and the numbers.
  EXPECT_THROWS(Layout({}), std::invalid_argument, "at least one member");
  EXPECT_THROWS(Layout({{"a", {}}, {"a", {}}}), std::invalid_argument, "duplicate member name 'a'");
  EXPECT_THROWS(Layout(std::vector<Member>{{"1a", {}}}), std::invalid_argument, "'1a'");
  EXPECT_THROWS(Layout(std::vector<Member>{{"a", {}}}, 96), std::invalid_argument, "96 bytes is not a power of two");
  EXPECT_THROWS(Layout({{"d", {MemberKind::column, DType::float64}}}, 4), std::invalid_argument, "member 'd'");
  EXPECT_THROWS(Layout(std::vector<Member>{{"m", {MemberKind::eigen_column, DType::float32, 0, 1}}}), std::invalid_argument, "(0, 1)");
  EXPECT_THROWS(runtime.byte_size(-1), std::invalid_argument, "n = -1");
  EXPECT_THROWS(runtime.byte_size(kMaxElements + 1), std::invalid_argument, "2147483648");
  EXPECT_THROWS(runtime.index_of("q"), UnknownMember, "no member 'q'");
  return TEST_MAIN_RESULT();
}
