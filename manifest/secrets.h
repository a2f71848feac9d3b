// Secrets in stored manifests: kix never prints their values unless asked.
#pragma once

#include "manifest/canonical_json.h"

namespace kix {

// kind: Secret in the core API group (apiVersion v1).
bool is_secret(const Json& manifest);

// A copy with every value under data and stringData replaced by
// "<redacted>" when `manifest` is a Secret; otherwise an unchanged copy.
Json redact_secret_values(const Json& manifest);

inline constexpr const char* kRedacted = "<redacted>";

}  // namespace kix
