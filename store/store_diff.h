// Differences between two sets of stored resources (usually two roots).
#pragma once

#include <vector>

#include "manifest/json_diff.h"
#include "store/store.h"

namespace kix {

struct ResourceChange {
  StoredNode before;
  StoredNode after;
  // Field changes for a modified manifest; empty for a dependency-only
  // change (same blob, different node hash because a referenced node
  // changed).
  std::vector<FieldChange> fields;
};

struct StoreDiff {
  size_t identical = 0;                         // same node hash on both sides
  std::vector<ResourceChange> modified;         // manifest content changed
  std::vector<ResourceChange> dependency_only;  // same manifest, new node hash
  std::vector<StoredNode> added;                // only in `after`
  std::vector<StoredNode> removed;              // only in `before`

  bool equal() const {
    return modified.empty() && dependency_only.empty() && added.empty() && removed.empty();
  }
};

// Pairs resources across the two sets by ResourceId::key() (so a changed
// apiVersion is a modification, not a removal plus an addition). Only the
// nodes that differ are loaded, and only the modified manifests are
// decompressed. Every list is in key order.
StoreDiff diff_stored(Store& store, const std::vector<Hash>& before,
                      const std::vector<Hash>& after);

}  // namespace kix
