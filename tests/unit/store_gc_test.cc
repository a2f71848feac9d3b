#include "store/gc.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include <algorithm>
#include <fstream>

#include "store/verify.h"
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
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  AddResult kept1 = store.add(graph_of({config_map("a", "1")}), in_cluster("prod"));
  AddResult kept2 = store.add(graph_of({config_map("a", "2")}), in_cluster("prod"));
  AddResult loose = store.add(graph_of({config_map("loose", "x")}), {});
  GcResult r = store.collect_garbage({});
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
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx", "a"), config_map("b", "2")});
  AddResult r = store.add(g, {});
  store.pin(g.nodes[1], ObjectKind::kNode, 1);  // the Deployment, which references "a"
  store.collect_garbage({});
  EXPECT_FALSE(store.find_root(r.root));
  EXPECT_TRUE(store.find_node(g.nodes[0]));
  EXPECT_TRUE(store.find_node(g.nodes[1]));
  EXPECT_FALSE(store.find_node(g.nodes[2]));
  EXPECT_EQ(store.read_blob(g.manifests[0].blob), g.manifests[0].canonical);
  EXPECT_FALSE(store.has_blob(g.manifests[2].blob));

  AddResult pinned_root = store.add(graph_of({config_map("c", "3")}), {});
  store.pin(pinned_root.root, ObjectKind::kRoot, 1);
  store.collect_garbage({});
  EXPECT_TRUE(store.find_root(pinned_root.root));
}

TEST(Gc, KeepGenerationsDeletesOlderOnesButNeverTheCurrent) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Hash> roots;
  for (int i = 0; i < 4; ++i) {
    roots.push_back(
        store.add(graph_of({config_map("a", std::to_string(i))}), in_cluster("prod", i)).root);
  }
  GcOptions options;
  options.keep_generations = 2;
  GcResult r = store.collect_garbage(options);
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
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Hash> roots;
  for (int i = 0; i < 4; ++i) {
    roots.push_back(
        store.add(graph_of({config_map("a", std::to_string(i))}), in_cluster("prod", i)).root);
  }
  store.record_deployment("prod", roots[0], 10, "");
  store.record_deployment("prod", roots[1], 20, "");
  GcOptions options;
  options.keep_generations = 1;
  store.collect_garbage(options);
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
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 100));
  store.add(graph_of({config_map("a", "2")}), in_cluster("prod", 200));
  store.add(graph_of({config_map("b", "1")}), in_cluster("old", 100));
  GcOptions options;
  options.older_than_seconds = 50;
  options.now = 220;
  store.collect_garbage(options);
  EXPECT_EQ(store.generations("prod").size(), 1u);
  EXPECT_EQ(store.generations("old").size(), 1u);  // current, though old
}

TEST(Gc, DryRunDeletesNothing) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  AddResult loose = store.add(graph_of({config_map("loose", "x")}), {});
  GcOptions options;
  options.dry_run = true;
  GcResult r = store.collect_garbage(options);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_GT(r.blob_bytes, 0u);
  EXPECT_TRUE(store.find_root(loose.root));
}

TEST(Gc, SharedBlobsSurviveWhileAnyKeptNodeUsesThem) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  // Same ConfigMap in two builds: one blob, kept by the surviving build.
  store.add(graph_of({config_map("a", "1"), config_map("b", "1")}), {});
  Graph kept = graph_of({config_map("a", "1")});
  store.add(kept, in_cluster("prod"));
  store.collect_garbage({});
  EXPECT_EQ(store.read_blob(kept.manifests[0].blob), kept.manifests[0].canonical);
}

TEST(Gc, AnAddRewritesABlobCollectedBetweenPrepareAndCommit) {
  TempDir dir;
  auto writer_owner = SqliteStore::open(dir.path());
  SqliteStore& writer = *writer_owner;
  auto collector_owner = SqliteStore::open(dir.path());
  SqliteStore& collector = *collector_owner;  // another process, in effect
  Graph g = graph_of({config_map("a", "1"), config_map("b", "2")});
  writer.add(g, {});  // unrooted: garbage as soon as gc runs
  PreparedAdd prepared = writer.prepare_add(g, in_cluster("prod"));
  for (const auto& blob : prepared.blobs) EXPECT_EQ(blob.size, 0u);  // reuse planned
  EXPECT_EQ(collector.collect_garbage({}).blobs, 2u);
  AddResult r = writer.commit_add(prepared);
  EXPECT_EQ(r.new_blobs, 2u);
  for (const Manifest& m : g.manifests) EXPECT_EQ(collector.read_blob(m.blob), m.canonical);
  EXPECT_TRUE(collector.find_root(r.root));
}

// A commit that fails rolls back and leaves the prepared add whole: its
// compressed blobs go in when it is committed again.
TEST(Gc, ACommitThatFailedCanBeCommittedAgain) {
  TempDir dir;
  auto store = SqliteStore::open(dir.path());
  Graph g = graph_of({config_map("a", "1"), config_map("b", "2")});
  AddOptions options = in_cluster("prod");
  options.sources = {Hash::of("a source the store does not keep")};
  PreparedAdd prepared = store->prepare_add(g, options);
  for (const auto& blob : prepared.blobs) EXPECT_GT(blob.size, 0u);  // compressed, held
  EXPECT_THROW(store->commit_add(prepared), Error);
  EXPECT_TRUE(store->clusters().empty());
  prepared.options.sources.clear();
  AddResult r = store->commit_add(prepared);
  EXPECT_EQ(r.new_blobs, 2u);
  for (const Manifest& m : g.manifests) EXPECT_EQ(store->read_blob(m.blob), m.canonical);
}

TEST(Gc, ANextGenerationRechecksItsBaseBlobsWhenTheBaseWasReplacedMeanwhile) {
  TempDir dir;
  auto writer_owner = SqliteStore::open(dir.path());
  SqliteStore& writer = *writer_owner;
  auto other_owner = SqliteStore::open(dir.path());
  SqliteStore& other = *other_owner;  // another process, in effect
  Graph base = graph_of({config_map("a", "1"), config_map("b", "2")});
  writer.add(base, in_cluster("prod", 1));
  // The next generation keeps both blobs of the current one, so prepare
  // takes them as stored without looking them up.
  Graph next = graph_of({config_map("a", "1"), config_map("b", "2"), config_map("c", "3")});
  PreparedAdd prepared = writer.prepare_add(next, in_cluster("prod", 3));
  EXPECT_EQ(prepared.stored_blobs.size(), 2u);
  // Meanwhile another add makes a new current generation and a gc that
  // keeps only it collects the blobs the prepared add counted on.
  other.add(graph_of({config_map("z", "9")}), in_cluster("prod", 2));
  GcOptions keep_one;
  keep_one.keep_generations = 1;
  EXPECT_GE(other.collect_garbage(keep_one).blobs, 2u);
  AddResult r = writer.commit_add(prepared);
  EXPECT_EQ(r.new_blobs, 3u);
  for (const Manifest& m : next.manifests) EXPECT_EQ(other.read_blob(m.blob), m.canonical);
  VerifyReport report = other.verify({});
  EXPECT_TRUE(report.ok()) << "the store is damaged after the add";
}

// A prod store with two generations, the first one's ConfigMap shared with
// nothing; closed, so that its database is a single file.
struct DamagedStore {
  TempDir dir;
  Graph first = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Graph second = graph_of({config_map("a", "2"), deployment("web", "nginx:1", "a")});
  DamagedStore() {
    auto store = SqliteStore::open(dir.path());
    store->add(first, in_cluster("prod", 1));
    store->add(second, in_cluster("prod", 2));
  }
  std::filesystem::path file() const { return dir.path() / "store.db"; }
  void exec(const std::string& sql) { sqlite::Database(file()).exec(sql); }
  size_t rows(const std::string& table) {
    sqlite::Database db(file());
    auto s = db.prepare("SELECT count(*) FROM " + table + " NOT INDEXED");
    s.step();
    return static_cast<size_t>(s.column_int(0));
  }
  void flip_index_byte(const std::string& index) {
    ASSERT_TRUE(testing::flip_page_byte(file(), index)) << index;
  }
};

ErrorKind gc_error(const std::filesystem::path& dir) {
  GcOptions options;
  options.keep_generations = 1;
  try {
    SqliteStore::open(dir)->collect_garbage(options);
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("kix store verify"), std::string::npos) << e.render();
    return e.kind();
  }
  ADD_FAILURE() << "gc ran";
  return ErrorKind::kInternal;
}

TEST(Gc, RefusesToRunWhenAnIndexIsDamagedAndVerifyRepairsIt) {
  DamagedStore s;
  s.flip_index_byte("sqlite_autoindex_nodes_1");
  size_t blobs = s.rows("blobs"), nodes = s.rows("nodes");
  EXPECT_EQ(gc_error(s.dir.path()), ErrorKind::kCorruption);
  EXPECT_EQ(s.rows("blobs"), blobs);
  EXPECT_EQ(s.rows("nodes"), nodes);

  VerifyReport report = SqliteStore::open(s.dir.path())->verify({});
  EXPECT_FALSE(report.ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::kDatabase);
  EXPECT_NE(report.problems[0].message.find("sqlite_autoindex_nodes_1"), std::string::npos);

  VerifyOptions repair;
  repair.repair = true;
  EXPECT_TRUE(SqliteStore::open(s.dir.path())->verify(repair).ok());
  EXPECT_TRUE(SqliteStore::open(s.dir.path())->verify({}).problems.empty());
  GcOptions options;
  options.keep_generations = 1;
  GcResult r = SqliteStore::open(s.dir.path())->collect_garbage(options);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_EQ(r.blobs, 1u);  // the first ConfigMap; the Deployment's blob is shared
}

TEST(Gc, RefusesToRunWhenAKeptRootListsAMissingNode) {
  DamagedStore s;
  Hash victim = s.second.nodes[1];
  sqlite::Database db(s.file());
  auto drop = db.prepare("DELETE FROM nodes WHERE hash = ?");
  drop.bind(1, victim);
  drop.run();
  size_t blobs = s.rows("blobs");
  EXPECT_EQ(gc_error(s.dir.path()), ErrorKind::kCorruption);
  EXPECT_EQ(s.rows("blobs"), blobs);
}

TEST(Gc, RefusesToRunWhenAKeptNodesBlobIsMissing) {
  DamagedStore s;
  sqlite::Database db(s.file());
  auto drop = db.prepare("DELETE FROM blobs WHERE hash = ?");
  drop.bind(1, s.second.manifests[0].blob);
  drop.run();
  size_t nodes = s.rows("nodes");
  EXPECT_EQ(gc_error(s.dir.path()), ErrorKind::kCorruption);
  EXPECT_EQ(s.rows("nodes"), nodes);
}

TEST(Gc, RefusesToRunWhenAGenerationsRootIsMissing) {
  DamagedStore s;
  sqlite::Database db(s.file());
  auto drop = db.prepare("DELETE FROM roots WHERE hash = ?");
  drop.bind(1, s.second.root("prod"));
  drop.run();
  size_t blobs = s.rows("blobs");
  EXPECT_EQ(gc_error(s.dir.path()), ErrorKind::kCorruption);
  EXPECT_EQ(s.rows("blobs"), blobs);
}

TEST(Gc, ParsesDurations) {
  EXPECT_EQ(parse_duration("30d"), 30 * 86400);
  EXPECT_EQ(parse_duration("12h"), 12 * 3600);
  EXPECT_EQ(parse_duration("2w"), 14 * 86400);
  for (std::string bad : {"", "30", "d", "-1d", "1x", "1.5h"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR_KIND(parse_duration(bad), ErrorKind::kInvalidInput);
  }
}

// Edges name nodes by number: a kept node whose target row is lost must
// stop gc as a missing listed node does, even though the lost target has
// no hash left to name.
TEST(Gc, RefusesToRunWhenAKeptNodeReferencesALostNode) {
  DamagedStore s;
  // The first generation expires with keep 1; its Deployment stays pinned.
  SqliteStore::open(s.dir.path())->pin(s.first.nodes[1], ObjectKind::kNode, 1);
  {
    sqlite::Database db(s.file());
    auto drop = db.prepare("DELETE FROM nodes WHERE hash = ?");
    drop.bind(1, s.first.nodes[0]);  // its ConfigMap
    drop.run();
  }
  size_t blobs = s.rows("blobs");
  GcOptions options;
  options.keep_generations = 1;
  try {
    SqliteStore::open(s.dir.path())->collect_garbage(options);
    ADD_FAILURE() << "gc ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
    EXPECT_NE(e.message().find("references node number"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(s.first.nodes[1].hex()), std::string::npos) << e.message();
  }
  EXPECT_EQ(s.rows("blobs"), blobs);
}

// A next generation skips the nodes of the current one; when the store lost
// one of them, a new node referencing it stores it again.
TEST(Gc, AnAddStoresAgainANodeThePreviousGenerationListsButTheStoreLost) {
  TempDir dir;
  Graph first = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Graph second = graph_of({config_map("a", "1"), deployment("web", "nginx:2", "a")});
  SqliteStore::open(dir.path())->add(first, in_cluster("prod", 1));
  {
    sqlite::Database db(dir.path() / "store.db");
    auto drop = db.prepare("DELETE FROM nodes WHERE hash = ?");
    drop.bind(1, first.nodes[0]);
    drop.run();
  }
  auto store = SqliteStore::open(dir.path());
  AddResult r = store->add(second, in_cluster("prod", 2));
  EXPECT_EQ(r.root, second.root("prod"));
  ASSERT_TRUE(store->find_node(second.nodes[0]));
  RootGraph back = store->load_graph(r.root);
  EXPECT_EQ(back.graph.nodes.size(), 2u);
  EXPECT_EQ(store->refs_from(second.nodes[1]).size(), 1u);
}

// Node numbers are never given twice: after gc deleted the newest nodes,
// the next ones get new numbers, so no edge a damaged store kept can ever
// point at them.
TEST(Gc, NodeNumbersAreNeverReused) {
  TempDir dir;
  auto store = SqliteStore::open(dir.path());
  store->add(graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")}), {});
  auto max_id = [&] {
    sqlite::Database db(dir.path() / "store.db");
    auto s = db.prepare("SELECT coalesce(max(id), 0) FROM nodes");
    s.step();
    return s.column_int(0);
  };
  int64_t before = max_id();
  ASSERT_GT(before, 0);
  GcResult gone = store->collect_garbage({});  // nothing keeps a root added without a cluster
  EXPECT_EQ(gone.nodes, 2u);
  EXPECT_EQ(max_id(), 0);
  store->add(graph_of({config_map("b", "1")}), {});
  EXPECT_GT(max_id(), before);
  EXPECT_TRUE(store->verify({}).ok());
}

// A snapshot of `nodes` that all use one blob, "b", which is stored.
GcSnapshot sharing_one_blob(std::vector<Hash> nodes) {
  GcSnapshot s;
  s.node_blobs.assign(nodes.size(), Hash::of("b"));
  s.nodes = std::move(nodes);
  s.blobs = {Hash::of("b")};
  s.blob_sizes = {{1, 1}};
  return s;
}

// The snapshot's arrays are checked before any position in them is used.
TEST(GcPlan, RefusesASnapshotWhoseArraysDoNotAgree) {
  GcSnapshot s = sharing_one_blob({Hash::of("n0"), Hash::of("n1")});
  EXPECT_NO_THROW(plan_gc(s, {}));
  EXPECT_ERROR_KIND(s.set_refs({{0, 2}}), ErrorKind::kInternal);
  GcSnapshot bad = s;
  bad.node_blobs.pop_back();
  EXPECT_ERROR_KIND(plan_gc(bad, {}), ErrorKind::kInternal);
  bad = s;
  bad.ref_starts = {0, 1, 1};
  bad.ref_targets = {5};
  EXPECT_ERROR_KIND(plan_gc(bad, {}), ErrorKind::kInternal);
  bad = s;
  bad.ref_starts = {0, 1};
  EXPECT_ERROR_KIND(plan_gc(bad, {}), ErrorKind::kInternal);
  bad = s;
  bad.dangling_refs = {{7, 1}};
  EXPECT_ERROR_KIND(plan_gc(bad, {}), ErrorKind::kInternal);
}

// A kept node whose reference leads nowhere stops gc, naming the node and,
// when the store numbers its nodes, the lost number.
TEST(GcPlan, AKeptNodeWithALostReferenceStopsIt) {
  GcSnapshot s = sharing_one_blob({Hash::of("n0")});
  s.pins = {Pin{Hash::of("n0"), ObjectKind::kNode, 0}};
  s.dangling_refs = {{0, 42}};
  try {
    plan_gc(s, {});
    FAIL() << "planned over a lost reference";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
    EXPECT_NE(e.message().find(Hash::of("n0").hex()), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("node number 42"), std::string::npos) << e.message();
  }
  s.dangling_refs = {{0, -1}};
  try {
    plan_gc(s, {});
    FAIL() << "planned over a lost reference";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("references a node, which is not stored"), std::string::npos)
        << e.message();
  }
  s.pins.clear();  // nothing keeps the node: it and its lost edge simply go
  GcPlan plan = plan_gc(s, {});
  EXPECT_EQ(plan.dead_nodes, std::vector<Hash>{Hash::of("n0")});
  EXPECT_EQ(plan.dead_node_positions, std::vector<uint32_t>{0});
  EXPECT_EQ(plan.dead_blob_positions, std::vector<uint32_t>{0});
}

// A root's list out of order (a damaged store) still finds every node it
// names: the search starts over instead of missing one behind it.
TEST(GcPlan, FindsTheNodesOfAListOutOfOrder) {
  std::vector<Hash> nodes;
  for (int i = 0; i < 5; ++i) nodes.push_back(Hash::of("n" + std::to_string(i)));
  std::sort(nodes.begin(), nodes.end());
  GcSnapshot s = sharing_one_blob(nodes);
  const Hash root = Hash::of("root");
  s.roots = {root};
  s.generations = {Generation{"c", 1, root, 0, {}, {}}};
  // After nodes[1], nodes[0] is the entry just behind the search.
  const std::vector<Hash> listed = {nodes[3], nodes[1], nodes[1], nodes[0], nodes[4]};
  s.root_nodes = [&](const Hash&) { return listed; };
  GcPlan plan = plan_gc(s, {});
  EXPECT_EQ(plan.dead_nodes, std::vector<Hash>{nodes[2]});
}

// A hash stored twice stops gc: the second row would be deleted although
// its hash is kept.
TEST(GcPlan, ANodeOrBlobStoredTwiceStopsIt) {
  GcSnapshot s = sharing_one_blob({Hash::of("n0"), Hash::of("n0")});
  EXPECT_ERROR_KIND(plan_gc(s, {}), ErrorKind::kCorruption);
  s.nodes = {Hash::of("n0"), Hash::of("n1")};
  s.blobs = {Hash::of("b"), Hash::of("b")};
  s.blob_sizes = {{1, 1}, {1, 1}};
  EXPECT_ERROR_KIND(plan_gc(s, {}), ErrorKind::kCorruption);
}

}  // namespace
}  // namespace kix
