// RFC 6902 JSON Patch: a list of operations (add, remove, replace, move,
// copy, test) applied in order to a JSON document, all or nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix {

// Why a patch could not be applied: the operation (its index in the list)
// and what is wrong with it, in words a user can act on.
struct JsonPatchFailure {
  size_t op = 0;
  std::string message;  // "path '/spec/x' does not exist", "test failed: ..."
};

// Splits an RFC 6901 JSON Pointer into its unescaped tokens ("" is the
// whole document, "/a~1b/0" is {"a/b", "0"}). nullopt when the text is not
// a pointer (does not start with '/', or has a '~' not followed by 0 or 1).
std::optional<std::vector<std::string>> parse_json_pointer(const std::string& pointer);

// Applies `ops` (a JSON array of operation objects) to `target` in order.
// On success returns nullopt and `target` holds the result; on the first
// failing or malformed operation returns why and leaves `target` as it
// was. A pointer token "-" names the end of a list (append) for add, and
// for the destination of move and copy. `test` compares with JSON
// equality (numbers by value, objects regardless of key order).
std::optional<JsonPatchFailure> apply_json_patch(Json& target, const Json& ops);

// The pointers an operation writes, for recording where a patch changed a
// document: `path` for add, remove, replace, copy; `from` and `path` for
// move; none for test (and for a malformed operation).
std::vector<std::string> json_patch_written_paths(const Json& op);

}  // namespace kix
