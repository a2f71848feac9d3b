// Writes JSON values as block-style YAML that reads back (YAML 1.2 core
// schema) as exactly the same value, so a manifest written out and added
// again has the same hash.
#pragma once

#include <string>

#include "manifest/canonical_json.h"

namespace kix {

// A YAML document (no "---" marker) ending in a newline. Objects put
// apiVersion, kind and metadata first when `manifest_order` is set, then the
// other keys in sorted order. Strings are plain when nothing could misread
// them, literal blocks (|, |-) when multi-line, double-quoted otherwise.
std::string to_yaml(const Json& value, bool manifest_order = true);

}  // namespace kix
