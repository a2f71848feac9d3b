#include "store/root_diff.h"

#include <algorithm>

namespace kix {

namespace {

std::vector<Hash> sorted_unique(std::vector<Hash> v) {
  // Root node lists are stored sorted; only other inputs need the sort.
  if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

class StoreReader : public BuildReader {
 public:
  explicit StoreReader(Store& store) : store_(store) {}
  Json manifest(const BuildEntry& e) override { return store_.read_manifest(e.blob); }
  std::vector<BuildEntry> references(const BuildEntry& e) override {
    std::vector<Hash> targets;
    for (const StoredRef& r : store_.refs_from(e.node)) targets.push_back(r.to);
    std::vector<BuildEntry> out;
    for (const StoredNode& n : store_.load_nodes(targets)) out.push_back({n.hash, n.blob, n.id});
    return out;
  }

 private:
  Store& store_;
};

// The entries of `nodes`: those also in `other` only by hash (they are
// identical, so their identity is never needed), the rest loaded.
std::vector<BuildEntry> entries(Store& store, const std::vector<Hash>& nodes,
                                const std::vector<Hash>& other) {
  std::vector<Hash> shared, only;
  std::set_intersection(nodes.begin(), nodes.end(), other.begin(), other.end(),
                        std::back_inserter(shared));
  std::set_difference(nodes.begin(), nodes.end(), other.begin(), other.end(),
                      std::back_inserter(only));
  std::vector<BuildEntry> out;
  out.reserve(nodes.size());
  for (const Hash& h : shared) out.push_back(BuildEntry{h, {}, {}});
  for (const StoredNode& n : store.load_nodes(only)) out.push_back({n.hash, n.blob, n.id});
  return out;
}

}  // namespace

DiffReport diff_stored(Store& store, const std::vector<Hash>& left_in,
                       const std::vector<Hash>& right_in) {
  auto snapshot = store.snapshot();
  std::vector<Hash> left = sorted_unique(left_in);
  std::vector<Hash> right = sorted_unique(right_in);
  StoreReader reader(store);
  return diff_build_entries(entries(store, left, right), entries(store, right, left), reader,
                            reader);
}

}  // namespace kix
