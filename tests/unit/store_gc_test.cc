#include "store/gc.h"

#include <gtest/gtest.h>

#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

TEST(Gc, KeepsEveryGenerationByDefaultAndFreesUnrootedAdds) {
  TempDir dir;
  Store store = Store::open(dir.path());
  AddResult kept1 = store.add(graph_of({config_map("a", "1")}), in_cluster("prod"));
  AddResult kept2 = store.add(graph_of({config_map("a", "2")}), in_cluster("prod"));
  AddResult loose = store.add(graph_of({config_map("loose", "x")}), {});
  GcResult r = collect_garbage(store, {});
  EXPECT_EQ(r.generations, 0u);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_EQ(r.nodes, 1u);
  EXPECT_EQ(r.blobs, 1u);
  EXPECT_TRUE(store.find_root(kept1.root));
  EXPECT_TRUE(store.find_root(kept2.root));
  EXPECT_FALSE(store.find_root(loose.root));
}

TEST(Gc, KeepsObjectsReachableFromPins) {
  TempDir dir;
  Store store = Store::open(dir.path());
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx", "a"), config_map("b", "2")});
  AddResult r = store.add(g, {});
  store.pin(g.nodes[1], ObjectKind::kNode, 1);  // the Deployment, which references "a"
  collect_garbage(store, {});
  EXPECT_FALSE(store.find_root(r.root));
  EXPECT_TRUE(store.find_node(g.nodes[0]));
  EXPECT_TRUE(store.find_node(g.nodes[1]));
  EXPECT_FALSE(store.find_node(g.nodes[2]));
  EXPECT_EQ(store.read_blob(g.manifests[0].blob), g.manifests[0].canonical);
  EXPECT_FALSE(store.has_blob(g.manifests[2].blob));

  AddResult pinned_root = store.add(graph_of({config_map("c", "3")}), {});
  store.pin(pinned_root.root, ObjectKind::kRoot, 1);
  collect_garbage(store, {});
  EXPECT_TRUE(store.find_root(pinned_root.root));
}

TEST(Gc, KeepGenerationsDeletesOlderOnesButNeverTheCurrent) {
  TempDir dir;
  Store store = Store::open(dir.path());
  std::vector<Hash> roots;
  for (int i = 0; i < 4; ++i) {
    roots.push_back(
        store.add(graph_of({config_map("a", std::to_string(i))}), in_cluster("prod", i)).root);
  }
  GcOptions options;
  options.keep_generations = 2;
  GcResult r = collect_garbage(store, options);
  EXPECT_EQ(r.generations, 2u);
  EXPECT_EQ(r.roots, 2u);
  auto gens = store.generations("prod");
  ASSERT_EQ(gens.size(), 2u);
  EXPECT_EQ(gens[0].number, 3);
  EXPECT_FALSE(store.find_root(roots[0]));
  EXPECT_TRUE(store.find_root(roots[3]));
  // Numbers keep growing after old generations are gone.
  EXPECT_EQ(*store.add(graph_of({config_map("a", "x")}), in_cluster("prod")).generation, 5);
}

TEST(Gc, KeepsTheLastDeployedRootWhateverTheGenerationOptions) {
  TempDir dir;
  Store store = Store::open(dir.path());
  std::vector<Hash> roots;
  for (int i = 0; i < 4; ++i) {
    roots.push_back(
        store.add(graph_of({config_map("a", std::to_string(i))}), in_cluster("prod", i)).root);
  }
  store.record_deployment("prod", roots[0], 10, "");
  store.record_deployment("prod", roots[1], 20, "");
  GcOptions options;
  options.keep_generations = 1;
  collect_garbage(store, options);
  EXPECT_TRUE(store.find_root(roots[1])) << "the deployed root survives";
  EXPECT_FALSE(store.find_root(roots[0])) << "an earlier deployment keeps nothing";
  EXPECT_FALSE(store.find_root(roots[2]));
  EXPECT_TRUE(store.find_root(roots[3]));
  ASSERT_TRUE(store.last_deployment("prod"));
  EXPECT_EQ(store.last_deployment("prod")->root, roots[1]);
  for (const auto& d : store.deployments("prod")) EXPECT_TRUE(store.find_root(d.root));
}

TEST(Gc, OlderThanKeepsRecentGenerationsAndTheCurrentOne) {
  TempDir dir;
  Store store = Store::open(dir.path());
  store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 100));
  store.add(graph_of({config_map("a", "2")}), in_cluster("prod", 200));
  store.add(graph_of({config_map("b", "1")}), in_cluster("old", 100));
  GcOptions options;
  options.older_than_seconds = 50;
  options.now = 220;
  collect_garbage(store, options);
  EXPECT_EQ(store.generations("prod").size(), 1u);
  EXPECT_EQ(store.generations("old").size(), 1u);  // current, though old
}

TEST(Gc, DryRunDeletesNothing) {
  TempDir dir;
  Store store = Store::open(dir.path());
  AddResult loose = store.add(graph_of({config_map("loose", "x")}), {});
  GcOptions options;
  options.dry_run = true;
  GcResult r = collect_garbage(store, options);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_GT(r.blob_bytes, 0u);
  EXPECT_TRUE(store.find_root(loose.root));
}

TEST(Gc, SharedBlobsSurviveWhileAnyKeptNodeUsesThem) {
  TempDir dir;
  Store store = Store::open(dir.path());
  // Same ConfigMap in two builds: one blob, kept by the surviving build.
  store.add(graph_of({config_map("a", "1"), config_map("b", "1")}), {});
  Graph kept = graph_of({config_map("a", "1")});
  store.add(kept, in_cluster("prod"));
  collect_garbage(store, {});
  EXPECT_EQ(store.read_blob(kept.manifests[0].blob), kept.manifests[0].canonical);
}

TEST(Gc, AnAddRewritesABlobCollectedBetweenPrepareAndCommit) {
  TempDir dir;
  Store writer = Store::open(dir.path());
  Store collector = Store::open(dir.path());  // another process, in effect
  Graph g = graph_of({config_map("a", "1"), config_map("b", "2")});
  writer.add(g, {});  // unrooted: garbage as soon as gc runs
  PreparedAdd prepared = writer.prepare_add(g, in_cluster("prod"));
  for (const auto& blob : prepared.blobs) EXPECT_TRUE(blob.compressed.empty());  // reuse planned
  EXPECT_EQ(collect_garbage(collector, {}).blobs, 2u);
  AddResult r = writer.commit_add(prepared);
  EXPECT_EQ(r.new_blobs, 2u);
  for (const Manifest& m : g.manifests) EXPECT_EQ(collector.read_blob(m.blob), m.canonical);
  EXPECT_TRUE(collector.find_root(r.root));
}

TEST(Gc, ParsesDurations) {
  EXPECT_EQ(parse_duration("30d"), 30 * 86400);
  EXPECT_EQ(parse_duration("12h"), 12 * 3600);
  EXPECT_EQ(parse_duration("2w"), 14 * 86400);
  for (std::string bad : {"", "30", "d", "-1d", "1x", "1.5h"}) {
    EXPECT_THROW(parse_duration(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace kix
