// Comparing JSON values strictly, for tests and fuzz harnesses.
#pragma once

#include "manifest/canonical_json.h"

namespace kix::testing {

// Equal as values, key order and every number's type alike (nlohmann's ==
// takes 1, 1u and 1.0 as equal).
inline bool same_json(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
      if (i.key() != j.key() || !same_json(*i, *j)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace kix::testing
