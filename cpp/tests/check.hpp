// A minimal assertion harness for the header-only C++ unit tests (no framework dependency).
// CHECK(cond) records a failure with file and line; EXPECT_THROWS(expr, Exception, "substring") checks the
// exception type and that its message names what went wrong. main() returns the failure count.
#pragma once

#include <cstdio>
#include <string>

namespace sofie_soa_test {
inline int failures = 0;
inline int checks = 0;
}  // namespace sofie_soa_test

#define CHECK(cond)                                                                \
  do {                                                                             \
    ++sofie_soa_test::checks;                                                      \
    if (!(cond)) {                                                                 \
      ++sofie_soa_test::failures;                                                  \
      std::printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                              \
  } while (0)

#define EXPECT_THROWS(expr, Exception, substring)                                  \
  do {                                                                             \
    ++sofie_soa_test::checks;                                                      \
    bool caught_ = false;                                                          \
    try {                                                                          \
      (void)(expr);                                                                \
    } catch (const Exception& e_) {                                                \
      caught_ = std::string(e_.what()).find(substring) != std::string::npos;       \
      if (!caught_) std::printf("%s:%d: message '%s' lacks '%s'\n", __FILE__,      \
                                __LINE__, e_.what(), substring);                   \
    }                                                                              \
    if (!caught_) {                                                                \
      ++sofie_soa_test::failures;                                                  \
      std::printf("%s:%d: expected %s from %s\n", __FILE__, __LINE__, #Exception, #expr); \
    }                                                                              \
  } while (0)

#define TEST_MAIN_RESULT()                                                          \
  (std::printf("%d passed, %d failed\n", sofie_soa_test::checks - sofie_soa_test::failures, \
               sofie_soa_test::failures),                                           \
   sofie_soa_test::failures)
