#include "store/store_diff.h"

#include <algorithm>
#include <map>

namespace kix {

namespace {

std::vector<Hash> sorted_unique(std::vector<Hash> v) {
  // Root node lists are stored sorted; only other inputs need the sort.
  if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::multimap<std::string, StoredNode> by_key(std::vector<StoredNode> nodes) {
  std::multimap<std::string, StoredNode> out;
  for (auto& n : nodes) {
    std::string key = n.id.key();
    out.emplace(std::move(key), std::move(n));
  }
  return out;
}

}  // namespace

StoreDiff diff_stored(Store& store, const std::vector<Hash>& before_in,
                      const std::vector<Hash>& after_in) {
  std::vector<Hash> before = sorted_unique(before_in);
  std::vector<Hash> after = sorted_unique(after_in);
  std::vector<Hash> only_before, only_after;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(only_before));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(only_after));

  StoreDiff diff;
  diff.identical = before.size() - only_before.size();
  auto old_nodes = by_key(store.load_nodes(only_before));
  auto new_nodes = by_key(store.load_nodes(only_after));
  for (auto& [key, node] : old_nodes) {
    auto it = new_nodes.find(key);
    if (it == new_nodes.end()) {
      diff.removed.push_back(std::move(node));
      continue;
    }
    ResourceChange change{std::move(node), std::move(it->second), {}};
    new_nodes.erase(it);
    if (change.before.blob == change.after.blob) {
      diff.dependency_only.push_back(std::move(change));
    } else {
      change.fields = diff_manifests(store.read_manifest(change.before.blob),
                                     store.read_manifest(change.after.blob));
      diff.modified.push_back(std::move(change));
    }
  }
  for (auto& [key, node] : new_nodes) diff.added.push_back(std::move(node));
  return diff;
}

}  // namespace kix
