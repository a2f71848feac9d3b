// Roots stored as deltas against the previous generation of their cluster.
#include <gtest/gtest.h>

#include <array>
#include <span>

#include "tests/unit/error_kind.h"

#include "store/gc.h"
#include "store/root_encoding.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

// 200 ConfigMaps; each generation `g` gives maps 0..4 new values.
Graph generation(int g) {
  std::vector<Json> values;
  for (int i = 0; i < 200; ++i) {
    values.push_back(
        config_map("map-" + std::to_string(i), i < 5 ? "v" + std::to_string(g) : "initial"));
  }
  return graph_of(values);
}

bool stored_as_delta(SqliteStore& store, const Hash& root) {
  auto s_db = testing::raw_database(store);

  auto s = s_db.prepare("SELECT base IS NOT NULL FROM roots WHERE hash = ?");
  s.bind(1, root);
  EXPECT_TRUE(s.step());
  return s.column_int(0) != 0;
}

std::vector<Hash> sorted_nodes(const Graph& g) {
  std::vector<Hash> nodes = g.nodes;
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

// A full list is written into its row in pieces (a zeroblob filled in
// place): more than one piece of 2,048 hashes, duplicates listed once,
// and the same root added again leaves the stored row as it was.
TEST(StoreRootDelta, AFullListIsStoredSortedWhateverItsSize) {
  std::vector<Json> values;
  for (int i = 0; i < 4500; ++i) values.push_back(config_map("m-" + std::to_string(i), "v"));
  values.push_back(config_map("m-0", "v"));  // one node listed twice
  std::vector<Manifest> manifests;
  for (const auto& v : values) manifests.push_back(make_manifest(v, SourceLocation{}));
  Graph g = build_graph(std::move(manifests), {});
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  AddResult first = store.add(g, AddOptions{});
  auto root = store.find_root(first.root);
  ASSERT_TRUE(root.has_value());
  std::vector<Hash> want = sorted_nodes(g);
  want.erase(std::unique(want.begin(), want.end()), want.end());
  EXPECT_EQ(root->nodes, want);
  EXPECT_EQ(store.add(g, AddOptions{}).root, first.root);  // the row is there: ignored
  EXPECT_EQ(store.find_root(first.root)->nodes, want);
  // A cluster's first generation is a full list too (another root: the
  // cluster's name is hashed into it).
  AddResult in_c = store.add(g, in_cluster("c"));
  EXPECT_EQ(store.find_root(in_c.root)->nodes, want);
  EXPECT_FALSE(stored_as_delta(store, first.root));
  EXPECT_TRUE(store.verify({}).ok());
}

TEST(StoreRootDelta, PackAndApplyRoundTrip) {
  std::vector<Hash> base, next;
  for (int i = 0; i < 50; ++i) base.push_back(Hash::of("n" + std::to_string(i)));
  std::sort(base.begin(), base.end());
  next = std::vector<Hash>(base.begin() + 3, base.end());
  next.push_back(Hash::of("new"));
  std::sort(next.begin(), next.end());
  std::string delta = pack_delta(base, next);
  EXPECT_EQ(delta.size(), 4u + 4 * Hash::kSize);
  EXPECT_EQ(apply_delta(base, delta), next);
  // A limit gives nothing rather than a delta of that size or more.
  EXPECT_EQ(pack_delta(base, next, nullptr, delta.size() + 1), delta);
  EXPECT_EQ(pack_delta(base, next, nullptr, delta.size()), "");
  EXPECT_EQ(pack_delta(base, next, nullptr, 40), "");
  EXPECT_ERROR_KIND(apply_delta(std::vector<Hash>{}, delta),
                    ErrorKind::kCorruption);  // removes what is absent
  EXPECT_ERROR_KIND(apply_delta(base, "abc"), ErrorKind::kCorruption);
}

// A delta written into memory the caller sized: one that removes hashes
// past the base's last would keep more than the output holds, and is
// refused before it writes beyond it.
TEST(StoreRootDelta, AppliedIntoAGivenListADeltaThatDoesNotFitIsRefused) {
  std::vector<Hash> base;
  for (int i = 0; i < 8; ++i) base.push_back(Hash::of("n" + std::to_string(i)));
  std::sort(base.begin(), base.end());
  std::vector<Hash> next(base.begin() + 2, base.end());
  next.push_back(Hash::of("added"));
  std::sort(next.begin(), next.end());
  const std::string delta = pack_delta(base, next);
  ASSERT_EQ(applied_size(base.size(), delta), next.size());
  std::vector<Hash> out(next.size());
  apply_delta(std::span<const Hash>(base), delta, std::span<Hash>(out));
  EXPECT_EQ(out, next);

  std::array<uint8_t, Hash::kSize> ff;
  ff.fill(0xff);
  const Hash past(ff);  // sorts after every hash of the base
  const std::string beyond = pack_delta(std::vector<Hash>{past}, std::vector<Hash>{});
  std::vector<Hash> short_out(applied_size(base.size(), beyond));
  ASSERT_EQ(short_out.size(), base.size() - 1);
  EXPECT_ERROR_KIND(apply_delta(std::span<const Hash>(base), beyond, std::span<Hash>(short_out)),
                    ErrorKind::kCorruption);
  EXPECT_ERROR_KIND(applied_size(0, beyond), ErrorKind::kCorruption);
  std::vector<Hash> wrong(3);
  EXPECT_ERROR_KIND(apply_delta(std::span<const Hash>(base), delta, std::span<Hash>(wrong)),
                    ErrorKind::kInternal);
}

TEST(StoreRootDelta, LaterGenerationsAreDeltasAndReadBackWhole) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Graph> graphs;
  std::vector<Hash> roots;
  for (int g = 1; g <= 25; ++g) {
    graphs.push_back(generation(g));
    roots.push_back(store.add(graphs.back(), in_cluster("prod")).root);
  }
  EXPECT_FALSE(stored_as_delta(store, roots[0]));
  EXPECT_TRUE(stored_as_delta(store, roots[1]));
  int full = 0;
  for (size_t i = 0; i < roots.size(); ++i) {
    if (!stored_as_delta(store, roots[i])) ++full;
    auto root = store.find_root(roots[i]);
    ASSERT_TRUE(root);
    EXPECT_EQ(root->nodes, sorted_nodes(graphs[i])) << "generation " << i + 1;
    EXPECT_EQ(root->cluster, "prod");
  }
  // Chains are bounded: a full list is stored again now and then.
  EXPECT_EQ(full, 2);
  EXPECT_TRUE(store.verify({}).ok());
}

TEST(StoreRootDelta, GcKeepsSurvivingRootsReadableWhenTheirBaseIsDeleted) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Graph> graphs;
  std::vector<Hash> roots;
  for (int g = 1; g <= 8; ++g) {
    graphs.push_back(generation(g));
    roots.push_back(store.add(graphs.back(), in_cluster("prod")).root);
  }
  GcOptions options;
  options.keep_generations = 3;
  GcResult r = store.collect_garbage(options);
  EXPECT_EQ(r.roots, 5u);
  for (size_t i = 0; i < roots.size(); ++i) {
    auto root = store.find_root(roots[i]);
    if (i < 5) {
      EXPECT_FALSE(root) << i;
    } else {
      ASSERT_TRUE(root) << i;
      EXPECT_EQ(root->nodes, sorted_nodes(graphs[i]));
    }
  }
  EXPECT_FALSE(stored_as_delta(store, roots[5]));
  EXPECT_TRUE(stored_as_delta(store, roots[6]));
  EXPECT_TRUE(store.verify({}).ok());
}

TEST(StoreRootDelta, VerifyReportsARootWhoseBaseIsMissing) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Hash first = store.add(generation(1), in_cluster("prod")).root;
  Hash second = store.add(generation(2), in_cluster("prod")).root;
  ASSERT_TRUE(stored_as_delta(store, second));
  auto drop_db = testing::raw_database(store);

  auto drop = drop_db.prepare("DELETE FROM roots WHERE hash = ?");
  drop.bind(1, first);
  drop.run();
  EXPECT_ERROR_KIND(store.find_root(second), ErrorKind::kCorruption);
  VerifyReport r = store.verify({});
  EXPECT_FALSE(r.ok());
  bool named = false;
  for (const auto& p : r.problems) {
    if (p.kind == ProblemKind::kBadRoot && p.object == "root " + second.hex()) named = true;
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace kix
