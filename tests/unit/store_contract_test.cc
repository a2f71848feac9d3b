// The Store contract (store/store.h), held by every implementation: the same
// tests run against SqliteStore and MemoryStore.
#include <gtest/gtest.h>

#include <memory>

#include "store/archive.h"
#include "store/gc.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/error_kind.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::kind_of;
using testing::TempDir;

struct SqliteFactory {
  TempDir dir;
  std::unique_ptr<Store> make() { return SqliteStore::open(dir.path() / "store"); }
};

struct MemoryFactory {
  std::unique_ptr<Store> make() { return std::make_unique<MemoryStore>(); }
};

template <typename Factory>
class StoreContract : public ::testing::Test {
 protected:
  Factory factory;
  std::unique_ptr<Store> owner = factory.make();
  Store& store = *owner;
};

using Implementations = ::testing::Types<SqliteFactory, MemoryFactory>;
TYPED_TEST_SUITE(StoreContract, Implementations);

TYPED_TEST(StoreContract, AddsAGraphAndReadsItBack) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  AddResult r = store.add(g, in_cluster("prod"));
  EXPECT_EQ(r.root, g.root("prod"));
  EXPECT_EQ(r.new_blobs, 2u);
  EXPECT_EQ(r.new_nodes, 2u);
  EXPECT_EQ(r.generation, 1);
  std::optional<StoredRoot> root = store.find_root(r.root);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->cluster, "prod");
  for (size_t i = 0; i < g.manifests.size(); ++i) {
    EXPECT_EQ(store.find_node(g.nodes[i])->id, g.manifests[i].id);
    EXPECT_EQ(store.read_blob(g.manifests[i].blob), g.manifests[i].canonical);
  }
  ASSERT_EQ(store.refs_from(g.nodes[1]).size(), 1u);
  EXPECT_EQ(store.refs_to(g.nodes[0]).size(), 1u);
  EXPECT_EQ(store.closure({g.nodes[1]}).size(), 2u);
  EXPECT_EQ(store.add(g, in_cluster("prod")).new_blobs, 0u);
  EXPECT_EQ(store.generations("prod").size(), 2u);
}

TYPED_TEST(StoreContract, LoadGraphReturnsTheGraphThatWasAdded) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Hash root = store.add(g, in_cluster("prod")).root;
  RootGraph loaded = store.load_graph(root);
  EXPECT_EQ(loaded.root, root);
  EXPECT_EQ(loaded.cluster, "prod");
  EXPECT_EQ(loaded.graph.root("prod"), root);
  ASSERT_EQ(loaded.graph.manifests.size(), 2u);
  size_t edges = 0;
  for (const auto& r : loaded.graph.ref_reasons) {
    for (const auto& reason : r) {
      EXPECT_FALSE(reason.empty());
      ++edges;
    }
  }
  EXPECT_EQ(edges, 1u);
  EXPECT_EQ(kind_of([&] { store.load_graph(Hash::of("nothing")); }), ErrorKind::kNotFound);
}

TYPED_TEST(StoreContract, AHistoryMayHoldARootHashedWithAnotherName) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1")});
  AddOptions options = in_cluster("copy");
  options.root_cluster = "my-homelab";
  AddResult r = store.add(g, options);
  EXPECT_EQ(r.root, g.root("my-homelab"));
  EXPECT_EQ(store.current_generation("copy")->root, r.root);
  EXPECT_EQ(store.find_root(r.root)->cluster, "my-homelab");
}

TYPED_TEST(StoreContract, AddWithPinPinsTheRootInTheSameWrite) {
  Store& store = this->store;
  AddOptions options;
  options.pin = true;
  options.time = 7;
  AddResult r = store.add(graph_of({config_map("a", "1")}), options);
  EXPECT_TRUE(r.pinned);
  ASSERT_EQ(store.pins().size(), 1u);
  EXPECT_EQ(store.pins()[0], (Pin{r.root, ObjectKind::kRoot, 7}));
  GcResult gc = store.collect_garbage({});
  EXPECT_EQ(gc.roots, 0u);
  EXPECT_FALSE(store.add(graph_of({config_map("a", "1")}), options).pinned);  // already
}

TYPED_TEST(StoreContract, RefusesClusterNamesThatLookLikeHashes) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1")});
  for (const char* name : {"20241201", "cafe1234", "DEADBEEFcafe", "", "-x", "a b", "a@1"}) {
    EXPECT_EQ(kind_of([&] { store.add(g, in_cluster(name)); }), ErrorKind::kInvalidInput) << name;
  }
  EXPECT_TRUE(store.clusters().empty());
  EXPECT_TRUE(store.find_by_prefix("", 10).empty());  // nothing was stored
  for (const char* name : {"cafe123", "lab-20241201", "cafe1234x", "prod"}) {
    EXPECT_NO_THROW(store.add(g, in_cluster(name))) << name;
  }
}

TYPED_TEST(StoreContract, GenerationsDeploymentsAndPins) {
  Store& store = this->store;
  Hash one = store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 10)).root;
  Hash two = store.add(graph_of({config_map("a", "2")}), in_cluster("prod", 20)).root;
  Generation back = store.append_generation({"prod", one, "rollback", "abc123", 30});
  EXPECT_EQ(back.number, 3);
  EXPECT_EQ(store.current_generation("prod")->root, one);
  EXPECT_EQ(store.generation("prod", 2)->root, two);
  EXPECT_EQ(store.generations_of_root(one).size(), 2u);
  EXPECT_EQ(kind_of([&] {
              store.append_generation({"prod", Hash::of("x"), "", "", 0});
            }),
            ErrorKind::kNotFound);

  Deployment d = store.record_deployment("prod", two, 40, "ctx");
  EXPECT_EQ(d.generation, 2);
  EXPECT_EQ(store.last_deployment("prod")->root, two);
  EXPECT_EQ(store.deployments("prod").size(), 1u);
  EXPECT_FALSE(store.last_deployment("staging"));

  EXPECT_TRUE(store.pin(one, ObjectKind::kRoot, 50));
  EXPECT_FALSE(store.pin(one, ObjectKind::kRoot, 51));
  EXPECT_TRUE(store.is_pinned(one));
  EXPECT_TRUE(store.unpin(one));
  EXPECT_FALSE(store.unpin(one));
  EXPECT_EQ(kind_of([&] { store.pin(Hash::of("x"), ObjectKind::kNode, 0); }), ErrorKind::kNotFound);
}

TYPED_TEST(StoreContract, FindsByPrefixRootsFirst) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1")});
  Hash root = store.add(g, in_cluster("prod")).root;
  auto found = store.find_by_prefix(root.hex().substr(0, 8), 10);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0], (std::pair{root, ObjectKind::kRoot}));
  EXPECT_EQ(store.find_by_prefix(g.nodes[0].hex(), 10),
            (std::vector<std::pair<Hash, ObjectKind>>{{g.nodes[0], ObjectKind::kNode}}));
}

TYPED_TEST(StoreContract, GcKeepsWhatGenerationsPinsAndDeploymentsReach) {
  Store& store = this->store;
  Graph old_graph = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Hash old_root = store.add(old_graph, in_cluster("prod", 10)).root;
  Hash deployed = store.add(graph_of({config_map("a", "2")}), in_cluster("prod", 20)).root;
  store.record_deployment("prod", deployed, 25, "");
  Hash current = store.add(graph_of({config_map("a", "3")}), in_cluster("prod", 30)).root;
  Hash loose = store.add(graph_of({config_map("b", "1")}), {}).root;
  store.pin(old_graph.nodes[0], ObjectKind::kNode, 40);

  GcOptions options;
  options.keep_generations = 1;
  GcResult dry = [&] {
    GcOptions d = options;
    d.dry_run = true;
    return store.collect_garbage(d);
  }();
  EXPECT_TRUE(store.find_root(old_root));  // a dry run deletes nothing
  GcResult r = store.collect_garbage(options);
  EXPECT_EQ(r.roots, dry.roots);
  EXPECT_EQ(r.blobs, dry.blobs);
  EXPECT_FALSE(store.find_root(old_root));
  EXPECT_FALSE(store.find_root(loose));
  EXPECT_TRUE(store.find_root(deployed));
  EXPECT_TRUE(store.find_root(current));
  EXPECT_TRUE(store.find_node(old_graph.nodes[0]));  // pinned
  EXPECT_FALSE(store.find_node(old_graph.nodes[1]));
  EXPECT_EQ(store.generations("prod").size(), 1u);
  EXPECT_TRUE(store.verify({}).ok());
}

TYPED_TEST(StoreContract, VerifyPassesOnASoundStore) {
  Store& store = this->store;
  store.add(graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")}),
            in_cluster("prod"));
  VerifyReport report = store.verify({});
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.blobs, 2u);
  EXPECT_EQ(report.nodes, 2u);
  EXPECT_EQ(report.roots, 1u);
}

TYPED_TEST(StoreContract, ImportsAnExportedClosureIntoAnotherImplementation) {
  Store& store = this->store;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Hash root = store.add(g, in_cluster("prod")).root;
  Closure closure = export_closure(store, {root}, {});
  MemoryStore memory;
  ImportResult r = memory.import_closure(closure);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_EQ(memory.load_graph(root).graph.root("prod"), root);
  EXPECT_TRUE(memory.verify({}).ok());
  TempDir dir;
  std::unique_ptr<SqliteStore> sqlite = SqliteStore::open(dir.path());
  EXPECT_EQ(sqlite->import_closure(read_archive(write_archive(closure))).new_blobs, 2u);
  EXPECT_EQ(sqlite->import_closure(closure).new_blobs, 0u);  // idempotent
  EXPECT_TRUE(sqlite->verify({}).ok());
}

TYPED_TEST(StoreContract, HistoryTravelsWithTheClosureAndMergesByIdentity) {
  Store& store = this->store;
  Hash one = store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 10)).root;
  Hash two = store.add(graph_of({config_map("a", "2")}), in_cluster("prod", 20)).root;
  store.record_deployment("prod", one, 30, "ctx");
  store.record_deployment("prod", two, 40, "ctx");
  store.pin(one, ObjectKind::kRoot, 50);
  ExportRequest request;
  request.histories = {{"prod", std::nullopt, std::nullopt}};
  request.pins = true;
  Closure closure = read_archive(write_archive(export_closure(store, request)));
  ASSERT_EQ(closure.history().clusters.size(), 1u);
  EXPECT_EQ(closure.history().clusters[0].generations, store.generations("prod"));
  EXPECT_EQ(closure.history().clusters[0].deployments, store.deployments("prod"));
  EXPECT_EQ(closure.history().pins, store.pins());

  // Into an empty store: the same history, and gc keeps it.
  MemoryStore other;
  ImportResult r = other.import_closure(closure);
  EXPECT_EQ(r.generations, 2u);
  EXPECT_EQ(r.deployments, 2u);
  EXPECT_EQ(r.pins, 1u);
  EXPECT_EQ(other.generations("prod"), store.generations("prod"));
  EXPECT_EQ(other.last_deployment("prod")->root, two);
  other.collect_garbage({});
  EXPECT_TRUE(other.find_root(one) && other.find_root(two));
  // Again: nothing new.
  r = other.import_closure(closure);
  EXPECT_EQ(r.generations + r.deployments + r.pins, 0u);

  // The store grew on; an older export merges in without a change, and a
  // newer one adds only what is new, in number order.
  Hash three = store.add(graph_of({config_map("a", "3")}), in_cluster("prod", 60)).root;
  store.record_deployment("prod", three, 70, "ctx");
  EXPECT_EQ(store.import_closure(closure).generations, 0u);
  r = other.import_closure(export_closure(store, request));
  EXPECT_EQ(r.generations, 1u);
  EXPECT_EQ(r.deployments, 1u);
  EXPECT_EQ(other.current_generation("prod")->root, three);
  EXPECT_EQ(other.last_deployment("prod")->root, three);

  // An older deployment record coming in does not become the last one.
  MemoryStore late;
  late.import_closure(closure);
  late.record_deployment("prod", two, 100, "here");
  EXPECT_EQ(late.import_closure(export_closure(store, request)).deployments, 1u);
  EXPECT_EQ(late.last_deployment("prod")->time, 100);
}

TYPED_TEST(StoreContract, AConflictingGenerationIsRefusedAndNothingIsImported) {
  Store& store = this->store;
  store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 10));
  MemoryStore elsewhere;
  Hash theirs = elsewhere.add(graph_of({config_map("a", "other")}), in_cluster("prod", 11)).root;
  ExportRequest request;
  request.histories = {{"prod", std::nullopt, std::nullopt}};
  Closure closure = export_closure(elsewhere, request);
  try {
    store.import_closure(closure);
    FAIL() << "a conflicting generation 1 was imported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_NE(e.message().find("generation 1 of cluster 'prod' differs"), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find(theirs.hex().substr(0, 12)), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("--as"), std::string::npos);
  }
  EXPECT_FALSE(store.find_root(theirs));  // all or nothing
  ImportOptions as;
  as.history_as = "prod-elsewhere";
  EXPECT_EQ(store.import_closure(closure, as).generations, 1u);
  EXPECT_EQ(store.current_generation("prod-elsewhere")->root, theirs);
  EXPECT_EQ(store.generations("prod").size(), 1u);
}

TYPED_TEST(StoreContract, KeepsSourcesWhileARootThatUsedThemIsKept) {
  Store& store = this->store;
  const std::string chart = "a chart archive's bytes";
  const std::string other = "another archive";
  Hash used = store.keep_source(chart, "helm-chart", "demo 1.0.0");
  EXPECT_EQ(used, Hash::of(chart));
  EXPECT_EQ(store.keep_source(chart, "helm-chart", "demo 1.0.0"), used);  // kept once
  Hash unused = store.keep_source(other, "helm-chart", "other 1.0.0");
  EXPECT_EQ(store.find_source(used), chart);
  EXPECT_FALSE(store.find_source(Hash::of("never kept")));

  AddOptions first = in_cluster("prod");
  first.sources = {used};
  store.add(graph_of({config_map("a", "1")}), first);
  // A source that is not kept cannot be recorded, and nothing is added.
  AddOptions bad = in_cluster("prod");
  bad.sources = {Hash::of("never kept")};
  EXPECT_ERROR_KIND(store.add(graph_of({config_map("a", "2")}), bad), ErrorKind::kNotFound);
  EXPECT_EQ(store.generations("prod").size(), 1u);

  GcResult gc = store.collect_garbage({});
  EXPECT_EQ(gc.sources, 1u);  // the unused one
  EXPECT_EQ(gc.source_bytes, other.size());
  EXPECT_FALSE(store.find_source(unused));
  EXPECT_EQ(store.find_source(used), chart);
  EXPECT_TRUE(store.verify({}).ok());
  EXPECT_EQ(store.verify({}).sources, 1u);

  // Once the root that used it is collected, so is the source.
  store.add(graph_of({config_map("a", "3")}), in_cluster("prod"));
  GcOptions keep_last;
  keep_last.keep_generations = 1;
  gc = store.collect_garbage(keep_last);
  EXPECT_EQ(gc.roots, 1u);
  EXPECT_EQ(gc.sources, 1u);
  EXPECT_FALSE(store.find_source(used));
}

}  // namespace
}  // namespace kix
