// The one secrets policy (docs/store.md, "Secrets"): which manifests are Secrets, which of
// their fields hold values, and how a value is shown when it is not shown.
// Every reader, diff and printer asks here; none decides on its own.
//
// A Secret is any object whose `kind` is "Secret", whatever its apiVersion:
// hiding the values of a look-alike costs nothing, showing a real one is
// not acceptable. Its values are everything under the top-level `data` and
// `stringData` fields, and the annotation
// kubectl.kubernetes.io/last-applied-configuration, in which client-side
// kubectl apply copies the whole Secret.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix {

// What a Secret's value prints as in a manifest (kix store cat).
inline constexpr const char* kRedacted = "<redacted>";
// What a Secret's changed value prints as in a diff.
inline constexpr const char* kRedactedValue = "(sensitive value)";

bool is_secret_kind(std::string_view kind);
bool is_secret(const Json& manifest);
// True for the top-level fields of a Secret that hold its values.
bool is_secret_value_field(std::string_view top_level_key);

// The annotation in which kubectl keeps the last applied object.
inline constexpr const char* kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// For a field of a Secret at `path` (object keys and list indices from the
// top): whether it is, holds or lies inside one of the Secret's values, so
// that printing it could show one. `$` itself and `$.metadata` hold the
// last-applied annotation, for example.
bool touches_secret_value(const std::vector<std::string>& path);

// True when `text` (a document's source) contains "Secret" anywhere: the
// readers then quote none of it in errors until they know better.
bool mentions_secret(std::string_view text);

// True when a Secret has values (non-empty data or stringData, or the
// last-applied annotation): only then does hashing or storing it need the
// secret key.
bool has_secret_values(const Json& secret);

// A copy with every value under data and stringData replaced by kRedacted
// when `manifest` is a Secret (a non-object data field becomes kRedacted
// itself); otherwise an unchanged copy.
Json redact_secret_values(const Json& manifest);

}  // namespace kix
