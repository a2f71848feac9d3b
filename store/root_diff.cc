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
  // The blob is read (and its hash checked) here, on the store's thread;
  // parsing it is left to the comparison's threads.
  std::function<Json()> manifest_later(const BuildEntry& e) override {
    return [blob = e.blob, raw = store_.read_blob(e.blob)] {
      return Store::parse_manifest(blob, raw);
    };
  }
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

// The entries of `nodes` that `other` lacks, loaded; the shared ones are
// identical, so they are never read.
std::vector<BuildEntry> only_in(Store& store, const std::vector<Hash>& nodes,
                                const std::vector<Hash>& other) {
  std::vector<Hash> only;
  std::set_difference(nodes.begin(), nodes.end(), other.begin(), other.end(),
                      std::back_inserter(only));
  std::vector<BuildEntry> out;
  out.reserve(only.size());
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
  std::vector<BuildEntry> only_left = only_in(store, left, right);
  std::vector<BuildEntry> only_right = only_in(store, right, left);
  size_t shared = left.size() - only_left.size();
  return diff_changed_entries(
      only_left, only_right, shared,
      [&right](const Hash& h) { return std::binary_search(right.begin(), right.end(), h); }, reader,
      reader);
}

}  // namespace kix
