#include "store/dependency_paths.h"

#include <algorithm>
#include <unordered_set>

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

// Every node from which `target` can be reached (itself included): a walk
// of the reverse edges.
HashSet reaching(Store& store, const Hash& target) {
  HashSet seen{target};
  std::vector<Hash> queue{target};
  while (!queue.empty()) {
    Hash h = queue.back();
    queue.pop_back();
    for (const StoredRef& r : store.refs_to(h)) {
      if (seen.insert(r.from).second) queue.push_back(r.from);
    }
  }
  return seen;
}

// Depth-first over nodes that reach the target only, so every branch ends
// at the target and the walk stops after `max_paths` paths (+1 to tell
// that there are more). The explicit stack keeps deep chains off the C++
// stack.
void collect(Store& store, const Hash& start, const Hash& target, const HashSet& useful,
             size_t max_paths, DependencyPaths& out) {
  if (!useful.count(start) || start == target) return;
  struct Frame {
    std::vector<StoredRef> edges;
    size_t next = 0;
  };
  std::vector<Frame> stack;
  std::vector<StoredRef> path;
  auto push = [&](const Hash& node) {
    Frame f;
    for (StoredRef& r : store.refs_from(node)) {
      if (useful.count(r.to)) f.edges.push_back(std::move(r));
    }
    stack.push_back(std::move(f));
  };
  push(start);
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.edges.size()) {
      stack.pop_back();
      if (!path.empty()) path.pop_back();
      continue;
    }
    StoredRef edge = top.edges[top.next++];
    path.push_back(edge);
    if (edge.to == target) {
      if (out.paths.size() == max_paths) {
        out.truncated = true;
        return;
      }
      out.paths.push_back(path);
      path.pop_back();
      continue;
    }
    push(edge.to);
  }
}

}  // namespace

DependencyPaths dependency_paths(Store& store, const Hash& from, ObjectKind from_kind,
                                 const Hash& to, size_t max_paths) {
  auto snapshot = store.snapshot();
  DependencyPaths out;
  std::vector<Hash> starts{from};
  if (from_kind == ObjectKind::kRoot) {
    std::optional<StoredRoot> root = store.find_root(from);
    if (!root || !std::binary_search(root->nodes.begin(), root->nodes.end(), to)) {
      out.root_contains_target = false;
      return out;
    }
    HashSet referenced;
    for (const Hash& n : root->nodes) {
      for (const StoredRef& r : store.refs_from(n)) referenced.insert(r.to);
    }
    starts.clear();
    for (const Hash& n : root->nodes) {
      if (!referenced.count(n) && n != to) starts.push_back(n);
    }
  }
  HashSet useful = reaching(store, to);
  for (const Hash& s : starts) {
    collect(store, s, to, useful, max_paths, out);
    if (out.truncated) break;
  }
  return out;
}

}  // namespace kix
