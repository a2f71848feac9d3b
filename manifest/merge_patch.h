// RFC 7386 JSON Merge Patch: a map that says what to change in a document.
// Its maps merge into the document's maps; null removes a field; any other
// value (a list included) replaces what is there.
#pragma once

#include <string>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix {

// Applies `patch` to `target` as RFC 7386 says (a patch that is not a map
// replaces the whole target). Returns the paths it wrote, as JSON Pointer
// tokens in patch order: each field set, replaced or removed. A map of the
// patch meeting a map of the target is merged into it and not itself
// reported, so `{spec: {replicas: 2}}` reports only /spec/replicas, while
// a map added where there was none (or where a scalar was) is reported
// once, at its own path. Removing a field that is absent writes nothing
// and is not reported.
std::vector<std::vector<std::string>> apply_merge_patch(Json& target, const Json& patch);

}  // namespace kix
