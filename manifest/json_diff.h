// Structural differences between two manifests, as JSONPath-style paths
// with both values ($.spec.replicas, $.spec.template.spec.containers[0].image).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/secrets.h"

namespace kix {

struct FieldChange {
  std::string path;            // "$.spec.replicas"
  std::optional<Json> before;  // nullopt: the field is absent on that side
  std::optional<Json> after;
  bool secret = false;  // a Secret's data/stringData value: never print it
};

// Every changed leaf (or whole subtree where types differ) from `before`
// to `after`, in document order. Lists are compared index by index, except
// lists of objects that all carry a `name` (containers, env, volumes,
// ports), which are matched by name so an insertion is one change.
// For kind: Secret, changes under data/stringData are marked secret.
std::vector<FieldChange> diff_manifests(const Json& before, const Json& after);

// Replaces the values of every change marked `secret` with kRedactedValue,
// keeping whether each side is present, so no output can leak them.
void redact_secret_values(std::vector<FieldChange>& changes);

// "$.a.b[0]['weird.key']" for a path given as JSON Pointer tokens.
std::string json_path(const std::vector<std::string>& tokens);

}  // namespace kix
