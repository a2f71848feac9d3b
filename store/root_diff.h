// Two sets of stored resources compared in the diff model of
// manifest/build_diff.h, reading only what differs: nodes present on both
// sides are counted without being loaded, and only modified manifests are
// decompressed.
#pragma once

#include <vector>

#include "manifest/build_diff.h"
#include "store/store.h"

namespace kix {

// `left` (the new side) against `right` (the base), each a set of node
// hashes (a root's nodes, or single nodes). Throws kCorruption for a node
// that is listed but not stored, and what diff_build_entries throws.
DiffReport diff_stored(Store& store, const std::vector<Hash>& left, const std::vector<Hash>& right);

}  // namespace kix
