// Why one stored resource depends on another (`kix store why-depends`): the
// reference paths between them, each edge with its reason.
#pragma once

#include <vector>

#include "store/store.h"

namespace kix {

struct DependencyPaths {
  // For a root: whether it lists the target at all.
  bool root_contains_target = true;
  // Paths of reference edges from the start to the target, at most
  // `max_paths`, shortest-first within each start.
  std::vector<std::vector<StoredRef>> paths;
  bool truncated = false;  // more paths exist than were returned
};

// Paths from `from` to node `to`. For a root, from the resources of the
// root that nothing else in it references. Only nodes from which `to` can be
// reached are walked, so the search is linear in the graph plus the paths
// returned, whatever the graph's shape. Throws what the store's reads throw.
DependencyPaths dependency_paths(Store& store, const Hash& from, ObjectKind from_kind,
                                 const Hash& to, size_t max_paths = 20);

}  // namespace kix
