// Asserting what kind of error a statement throws, not only that it throws
// (util/error.h: callers and the CLI branch on the kind).
#pragma once

#include <gtest/gtest.h>

#include <functional>

#include "util/error.h"

namespace kix::testing {

// The kind of the kix::Error `f` throws; a test failure when it throws none.
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no kix::Error was thrown";
  return ErrorKind::kInternal;
}

}  // namespace kix::testing

// Expects `statement` to throw kix::Error of kind `expected`.
#define EXPECT_ERROR_KIND(statement, expected)                                   \
  do {                                                                           \
    try {                                                                        \
      statement;                                                                 \
      ADD_FAILURE() << "no kix::Error from: " #statement;                        \
    } catch (const ::kix::Error& kix_error_) {                                   \
      EXPECT_EQ(static_cast<int>(kix_error_.kind()), static_cast<int>(expected)) \
          << #statement << " threw: " << kix_error_.render();                    \
    }                                                                            \
  } while (0)
