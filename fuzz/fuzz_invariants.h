// Shared checks for the harnesses: a violated invariant aborts, which
// libFuzzer reports as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "manifest/utf8.h"

namespace kix::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// Every key and string a reader produced is UTF-8: a reader hands on only
// what it read, never bytes a library left unwritten.
inline void check_strings_are_utf8(const Json& value) {
  if (value.is_string()) {
    require(!first_invalid_utf8(value.get_ref<const std::string&>()), "strings are UTF-8");
  } else if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      require(!first_invalid_utf8(key), "keys are UTF-8");
      check_strings_are_utf8(child);
    }
  } else if (value.is_array()) {
    for (const auto& child : value) check_strings_are_utf8(child);
  }
}

// Canonical JSON is a fixed point: parsing it back and canonicalizing again
// gives the same bytes, and it is valid JSON for an independent parser.
inline void check_canonical_round_trip(const Json& value) {
  std::string canon;
  try {
    canon = canonical_json(value);
  } catch (const Error&) {
    return;  // values the readers let through are always canonicalizable, but
             // the harness also feeds hand-built values
  }
  Diagnostics diags;
  auto again = parse_json(canon, "canon.json", diags);
  require(again.size() == 1, "canonical JSON parses as one document");
  require(canonical_json(again[0].value) == canon, "canonical JSON is a fixed point");
  require(Json::accept(canon), "canonical JSON is valid JSON");
}

}  // namespace kix::fuzz
