// gc's plan against reachability computed the plain way, on random graphs
// given in random order; and root deltas against set difference and merge.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "store/gc.h"
#include "store/root_encoding.h"
#include "util/error.h"

namespace kix {
namespace {

Hash node_hash(int i) {
  return Hash::of("node " + std::to_string(i));
}
Hash blob_hash(int i) {
  return Hash::of("blob " + std::to_string(i));
}

// A set of numbers in [0, limit). Made from a vector: a set generator
// gives up when asked for more distinct values than the range holds.
std::set<int> numbers_below(int limit) {
  const auto listed = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, limit));
  return std::set<int>(listed.begin(), listed.end());
}

std::vector<Hash> sorted_hashes(const std::set<int>& numbers, Hash (*of)(int)) {
  std::vector<Hash> out;
  for (int n : numbers) out.push_back(of(n));
  std::sort(out.begin(), out.end());
  return out;
}

RC_GTEST_PROP(GcPlan, DeletesExactlyWhatNoKeptRootOrPinReaches, ()) {
  const int n = *rc::gen::inRange(1, 40);
  // Node i has blob i % blob_count: blobs are shared as identical manifests are.
  const int blob_count = *rc::gen::inRange(1, n + 1);
  const auto edges = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, n), rc::gen::inRange(0, n)));
  std::vector<std::set<int>> root_members(*rc::gen::inRange<size_t>(0, 8));
  for (auto& members : root_members) members = numbers_below(n);
  const auto pinned_list =
      *rc::gen::resize(5, rc::gen::container<std::vector<int>>(rc::gen::inRange(0, n)));
  const std::set<int> pinned(pinned_list.begin(), pinned_list.end());
  const int kept_generations = *rc::gen::inRange(1, 4);

  // The snapshot, with nodes and blobs in a random order.
  const auto keys =
      *rc::gen::container<std::vector<int>>(static_cast<size_t>(n), rc::gen::arbitrary<int>());
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return keys[static_cast<size_t>(a)] < keys[static_cast<size_t>(b)];
  });
  std::map<int, uint32_t> position;
  GcSnapshot s;
  for (int i : order) {
    position[i] = static_cast<uint32_t>(s.nodes.size());
    s.nodes.push_back(node_hash(i));
    s.node_blobs.push_back(blob_hash(i % blob_count));
  }
  for (int b = blob_count - 1; b >= 0; --b) {
    s.blobs.push_back(blob_hash(b));
    s.blob_sizes.push_back({10, 20});
  }
  std::vector<std::pair<uint32_t, uint32_t>> edge_positions;
  std::set<std::pair<int, int>> edge_set(edges.begin(), edges.end());
  for (const auto& [from, to] : edge_set) edge_positions.emplace_back(position[from], position[to]);
  s.set_refs(edge_positions);
  std::map<Hash, std::vector<Hash>> roots;
  for (size_t r = 0; r < root_members.size(); ++r) {
    Hash root = Hash::of("root " + std::to_string(r));
    roots[root] = sorted_hashes(root_members[r], node_hash);
    s.roots.push_back(root);
    s.generations.push_back(Generation{"c", static_cast<int64_t>(r + 1), root, 0, {}, {}});
  }
  s.root_nodes = [&](const Hash& h) { return roots.at(h); };
  for (int p : pinned) s.pins.push_back(Pin{node_hash(p), ObjectKind::kNode, 0});

  GcOptions options;
  options.keep_generations = kept_generations;
  const GcPlan plan = plan_gc(s, options);

  // Reachability, the plain way.
  std::set<int> live;
  std::vector<int> queue(pinned.begin(), pinned.end());
  const size_t first_kept = root_members.size() > static_cast<size_t>(kept_generations)
                                ? root_members.size() - static_cast<size_t>(kept_generations)
                                : 0;
  for (size_t r = first_kept; r < root_members.size(); ++r) {
    queue.insert(queue.end(), root_members[r].begin(), root_members[r].end());
  }
  while (!queue.empty()) {
    int at = queue.back();
    queue.pop_back();
    if (!live.insert(at).second) continue;
    for (const auto& [from, to] : edge_set) {
      if (from == at) queue.push_back(to);
    }
  }
  std::set<int> dead, live_blobs, dead_blobs;
  for (int i = 0; i < n; ++i) {
    if (!live.count(i)) dead.insert(i);
  }
  for (int i : live) live_blobs.insert(i % blob_count);
  for (int b = 0; b < blob_count; ++b) {
    if (!live_blobs.count(b)) dead_blobs.insert(b);
  }

  RC_ASSERT(plan.dead_nodes == sorted_hashes(dead, node_hash));
  RC_ASSERT(plan.dead_blobs == sorted_hashes(dead_blobs, blob_hash));
  RC_ASSERT(plan.result.kept_nodes == live.size());
  RC_ASSERT(plan.result.kept_blobs == live_blobs.size());
  size_t dead_edges = 0;
  for (const auto& [from, to] : edge_set) dead_edges += dead.count(from);
  RC_ASSERT(plan.result.refs == dead_edges);
  // The positions name the same objects, ascending.
  RC_ASSERT(std::is_sorted(plan.dead_node_positions.begin(), plan.dead_node_positions.end()));
  std::vector<Hash> by_position;
  for (uint32_t p : plan.dead_node_positions) by_position.push_back(s.nodes.at(p));
  std::sort(by_position.begin(), by_position.end());
  RC_ASSERT(by_position == plan.dead_nodes);
  RC_ASSERT(std::is_sorted(plan.dead_blob_positions.begin(), plan.dead_blob_positions.end()));
  by_position.clear();
  for (uint32_t p : plan.dead_blob_positions) by_position.push_back(s.blobs.at(p));
  std::sort(by_position.begin(), by_position.end());
  RC_ASSERT(by_position == plan.dead_blobs);
}

RC_GTEST_PROP(GcPlan, RefusesWhenAKeptRootListsANodeThatIsNotStored, ()) {
  const auto stored_list =
      *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 30)));
  const std::set<int> stored(stored_list.begin(), stored_list.end());
  const int missing = *rc::gen::inRange(30, 60);
  GcSnapshot s;
  for (int i : stored) {
    s.nodes.push_back(node_hash(i));
    s.node_blobs.push_back(blob_hash(0));
  }
  s.blobs = {blob_hash(0)};
  s.blob_sizes = {{1, 1}};
  std::set<int> listed = stored;
  listed.insert(missing);
  const Hash root = Hash::of("root");
  s.roots = {root};
  s.generations = {Generation{"c", 1, root, 0, {}, {}}};
  const std::vector<Hash> nodes = sorted_hashes(listed, node_hash);
  s.root_nodes = [&](const Hash&) { return nodes; };
  try {
    plan_gc(s, {});
    RC_FAIL("gc planned over a root that lists a missing node");
  } catch (const Error& e) {
    RC_ASSERT(e.kind() == ErrorKind::kCorruption);
    RC_ASSERT(e.message().find(node_hash(missing).hex()) != std::string::npos);
  }
}

RC_GTEST_PROP(RootDelta, ApplyingIsTheMergeOfWhatIsKeptAndWhatIsAdded, ()) {
  const auto base_numbers = numbers_below(80);
  const auto removed_numbers = numbers_below(80);
  const auto added_numbers = numbers_below(120);
  const std::vector<Hash> base = sorted_hashes(base_numbers, node_hash);
  const std::vector<Hash> removed = sorted_hashes(removed_numbers, node_hash);
  const std::vector<Hash> added = sorted_hashes(added_numbers, node_hash);
  const uint32_t count = static_cast<uint32_t>(removed.size());
  std::string delta{static_cast<char>(count & 0xff), static_cast<char>((count >> 8) & 0xff),
                    static_cast<char>((count >> 16) & 0xff), static_cast<char>(count >> 24)};
  delta += pack_hashes(removed) + pack_hashes(added);

  std::vector<Hash> kept;
  std::set_difference(base.begin(), base.end(), removed.begin(), removed.end(),
                      std::back_inserter(kept));
  if (kept.size() + removed.size() != base.size()) {
    try {
      apply_delta(base, delta);
      RC_FAIL("a delta that removes what the base lacks was applied");
    } catch (const Error& e) {
      RC_ASSERT(e.kind() == ErrorKind::kCorruption);
    }
    return;
  }
  std::vector<Hash> expected;
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(expected));
  RC_ASSERT(apply_delta(base, delta) == expected);
}

RC_GTEST_PROP(RootDelta, PackThenApplyGivesTheNewList, ()) {
  const std::vector<Hash> base = sorted_hashes(numbers_below(100), node_hash);
  const std::vector<Hash> next = sorted_hashes(numbers_below(100), node_hash);
  RC_ASSERT(apply_delta(base, pack_delta(base, next)) == next);
}

}  // namespace
}  // namespace kix
