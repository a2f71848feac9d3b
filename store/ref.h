// REFs: how users name what is in the store (docs/store.md).
//
//   <64 hex>      a root or node by its full hash
//   <8..63 hex>   a root or node by a unique prefix
//   NAME@N        generation N of cluster NAME (its root)
//   NAME          the current (latest) generation of cluster NAME
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/hash.h"

namespace kix {

struct ResolvedRef {
  Hash hash;
  ObjectKind kind = ObjectKind::kRoot;
  std::optional<Generation> generation;  // set when the REF named one
};

// Resolves `ref` against `store`. Throws kix::Error:
//   kNotFound  nothing matches; the message lists the closest matches
//              (cluster names by edit distance, hashes sharing a prefix);
//   kConflict  a prefix matches several objects (they are listed);
//   kInvalidInput  `ref` is empty or NAME@N has no valid number.
ResolvedRef resolve_ref(Store& store, std::string_view ref);

// resolve_ref, then requires a root (a node REF is kInvalidInput).
ResolvedRef resolve_root_ref(Store& store, std::string_view ref);

}  // namespace kix
