// Asserting what kind of error a statement throws, not only that it throws
// (util/error.h: callers and the CLI branch on the kind).
#pragma once

#include <gtest/gtest.h>

#include "util/error.h"

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
