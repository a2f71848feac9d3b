// diff_stored: two roots of a store in the one diff model, reading only
// what differs. It must agree with diff_builds of the same graphs.
#include "store/root_diff.h"

#include <gtest/gtest.h>

#include "store/memory_store.h"
#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

const ResourceDiff* find(const DiffReport& r, DiffStatus status) {
  for (const auto& d : r.resources) {
    if (d.status == status) return &d;
  }
  return nullptr;
}

TEST(RootDiff, CountsIdenticalModifiedDependencyChangedAddedAndRemoved) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path());
  Graph base = graph_of({config_map("cfg", "1"), deployment("web", "nginx", "cfg"),
                         config_map("same", "x"), config_map("gone", "y")});
  Graph next = graph_of({config_map("cfg", "2"), deployment("web", "nginx", "cfg"),
                         config_map("same", "x"), config_map("new", "z")});
  auto a = store->add(base, in_cluster("prod"));
  auto b = store->add(next, in_cluster("prod"));
  DiffReport d =
      diff_stored(*store, store->find_root(b.root)->nodes, store->find_root(a.root)->nodes);
  EXPECT_TRUE(d.has_differences());
  EXPECT_EQ(d.identical, 1u);
  const ResourceDiff* modified = find(d, DiffStatus::kModified);
  ASSERT_TRUE(modified);
  EXPECT_EQ(modified->id.name, "cfg");
  ASSERT_EQ(modified->changes.size(), 1u);
  EXPECT_EQ(modified->changes[0].path, "$.data.value");
  EXPECT_EQ(*modified->changes[0].before, "2");  // the new side is the left one
  const ResourceDiff* dependency = find(d, DiffStatus::kDependencyChanged);
  ASSERT_TRUE(dependency);
  EXPECT_EQ(dependency->id.kind, "Deployment");
  EXPECT_EQ(dependency->dependencies, std::vector<std::string>{"ConfigMap/cfg @ default"});
  EXPECT_EQ(find(d, DiffStatus::kLeftOnly)->id.name, "new");
  EXPECT_EQ(find(d, DiffStatus::kRightOnly)->id.name, "gone");

  // The same answer as comparing the graphs in memory.
  DiffReport in_memory = diff_builds(next, base);
  ASSERT_EQ(in_memory.resources.size(), d.resources.size());
  EXPECT_EQ(in_memory.identical, d.identical);
  for (size_t i = 0; i < d.resources.size(); ++i) {
    EXPECT_EQ(in_memory.resources[i].status, d.resources[i].status);
    EXPECT_EQ(in_memory.resources[i].id, d.resources[i].id);
    EXPECT_EQ(in_memory.resources[i].dependencies, d.resources[i].dependencies);
  }
}

TEST(RootDiff, ARootEqualsItself) {
  MemoryStore store;
  auto a = store.add(graph_of({config_map("cfg", "1")}), {});
  auto nodes = store.find_root(a.root)->nodes;
  DiffReport d = diff_stored(store, nodes, nodes);
  EXPECT_FALSE(d.has_differences());
  EXPECT_EQ(d.identical, 1u);
}

TEST(RootDiff, PairsResourcesAcrossApiVersions) {
  MemoryStore store;
  Json v1 = config_map("x", "1");
  v1["apiVersion"] = "example.com/v1";
  v1["kind"] = "Thing";
  Json v2 = v1;
  v2["apiVersion"] = "example.com/v2";
  auto a = store.add(graph_of({v1}), {});
  auto b = store.add(graph_of({v2}), {});
  DiffReport d = diff_stored(store, store.find_root(b.root)->nodes, store.find_root(a.root)->nodes);
  ASSERT_EQ(d.resources.size(), 1u);
  EXPECT_EQ(d.resources[0].status, DiffStatus::kModified);
}

TEST(RootDiff, NeverShowsASecretsValues) {
  MemoryStore store;
  auto a = store.add(graph_of({testing::secret("db", "old-password")}), {});
  Json no_data = testing::secret("db", "x");
  no_data.erase("stringData");
  auto b = store.add(graph_of({no_data}), {});
  auto c = store.add(graph_of({testing::secret("db", "new-password")}), {});
  for (auto [left, right] : {std::pair{c.root, a.root}, std::pair{b.root, a.root}}) {
    DiffReport d = diff_stored(store, store.find_root(left)->nodes, store.find_root(right)->nodes);
    ASSERT_EQ(d.resources.size(), 1u);
    for (const FieldChange& f : d.resources[0].changes) {
      EXPECT_TRUE(f.secret) << f.path;
      std::string shown = (f.before ? f.before->dump() : "") + (f.after ? f.after->dump() : "");
      EXPECT_EQ(shown.find("password"), std::string::npos) << shown;
    }
  }
}

// Modified manifests are compared a chunk of 256 at a time on every core:
// more than two chunks of them give the answer of the in-memory
// comparison, change for change and in the same order.
TEST(RootDiff, ManyModifiedResourcesAgreeWithTheInMemoryComparison) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path());
  std::vector<Json> before, after;
  for (int i = 0; i < 700; ++i) {
    const std::string name = "c" + std::to_string(i);
    before.push_back(config_map(name, "old"));
    after.push_back(config_map(name, i % 7 == 0 ? "old" : "new-" + std::to_string(i)));
  }
  Graph base = graph_of(before), next = graph_of(after);
  auto a = store->add(base, in_cluster("prod"));
  auto b = store->add(next, in_cluster("prod"));
  DiffReport d =
      diff_stored(*store, store->find_root(b.root)->nodes, store->find_root(a.root)->nodes);
  DiffReport in_memory = diff_builds(next, base);
  EXPECT_EQ(d.identical, 100u);
  ASSERT_EQ(d.resources.size(), 600u);
  ASSERT_EQ(in_memory.resources.size(), d.resources.size());
  EXPECT_EQ(in_memory.identical, d.identical);
  for (size_t i = 0; i < d.resources.size(); ++i) {
    const ResourceDiff& got = d.resources[i];
    const ResourceDiff& want = in_memory.resources[i];
    EXPECT_EQ(got.status, DiffStatus::kModified);
    EXPECT_EQ(got.id, want.id);
    ASSERT_EQ(got.changes.size(), 1u) << got.id.display();
    EXPECT_EQ(got.changes[0].path, want.changes[0].path);
    EXPECT_EQ(got.changes[0].before, want.changes[0].before);
    EXPECT_EQ(got.changes[0].after, want.changes[0].after);
  }
}

}  // namespace
}  // namespace kix
