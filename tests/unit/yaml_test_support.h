// Reading YAML in tests: the one document of a text, or the error that
// refuses it. Failures are reported to GoogleTest, not thrown.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "manifest/document.h"

namespace kix::testing {

// The value of the single document `text` holds (read as YAML, or as JSON
// when it looks like JSON).
inline Json read_one_document(const std::string& text) {
  Diagnostics diags;
  auto docs = parse_any(text, "in.yaml", diags);
  EXPECT_EQ(docs.size(), 1u) << text;
  return docs.empty() ? Json() : docs[0].value;
}

// The error reading `text` throws; a test failure when it reads cleanly.
inline Error read_refusal(const std::string& text) {
  Diagnostics diags;
  try {
    parse_any(text, "in.yaml", diags);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "read without an error: " << text;
  return Error(ErrorKind::kInternal, "none");
}

}  // namespace kix::testing
