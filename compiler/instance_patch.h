// `patches:` of an instance (docs/cluster-definitions.md, "Patches"):
// changes to the resources a package emits, written in the cluster
// definition instead of a fork of the package. Each entry names the
// resource by its template key (the key under `resources:` in
// package.yaml, or `chart` for what a package's Helm chart renders),
// optionally narrowed by kind and metadata.name, and carries either an
// RFC 7386 merge patch (`merge:`) or RFC 6902 operations (`jsonPatch:`).
#pragma once

#include <string>
#include <vector>

#include "compiler/module_merge.h"

namespace kix::compiler {

struct InstancePatch {
  enum class Type { kMerge, kJsonPatch };

  std::string resource;  // template key, or "chart"
  std::string kind;      // "" matches any kind
  std::string name;      // "" matches any metadata.name
  Type type = Type::kMerge;
  Json body;             // the merge patch (a map) or the operations (a list)
  std::string pointer;   // JSON Pointer of the entry in the merged definition
  SourceLocation where;  // of the entry

  // JSON Pointer of the body in the merged definition ("<pointer>/merge").
  std::string body_pointer() const;
  // "merge patch" or "JSON patch", for messages.
  const char* type_name() const;
};

// The fields a patch entry may have.
inline const std::vector<std::string> kPatchKeys = {"resource", "kind", "name", "merge",
                                                    "jsonPatch"};

// Reads the `patches` list at `pointer` of `doc` (an instance's), for the
// instance `instance`. Throws kix::Error(kInvalidInput) at the offending
// entry or field: a list expected, an entry that is not a map, an unknown
// field (with "did you mean"), a missing or non-string `resource`, neither
// or both of `merge` and `jsonPatch`, a merge patch that is not a map, and
// a JSON patch operation that is malformed (not a map, an unknown op or
// field, a missing or invalid path, from or value).
std::vector<InstancePatch> read_instance_patches(const MergedDocument& doc,
                                                 const std::string& pointer,
                                                 const std::string& instance);

}  // namespace kix::compiler
