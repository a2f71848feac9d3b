#include "store/store_diff.h"

#include <gtest/gtest.h>

#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

TEST(StoreDiff, CountsIdenticalModifiedDependencyOnlyAddedAndRemoved) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  auto a = store.add(graph_of({config_map("cfg", "1"), deployment("web", "nginx", "cfg"),
                               config_map("same", "x"), config_map("gone", "y")}),
                     in_cluster("prod"));
  auto b = store.add(graph_of({config_map("cfg", "2"), deployment("web", "nginx", "cfg"),
                               config_map("same", "x"), config_map("new", "z")}),
                     in_cluster("prod"));
  StoreDiff d = diff_stored(store, store.find_root(a.root)->nodes, store.find_root(b.root)->nodes);
  EXPECT_FALSE(d.equal());
  EXPECT_EQ(d.identical, 1u);
  ASSERT_EQ(d.modified.size(), 1u);
  EXPECT_EQ(d.modified[0].after.id.name, "cfg");
  ASSERT_EQ(d.modified[0].fields.size(), 1u);
  EXPECT_EQ(d.modified[0].fields[0].path, "$.data.value");
  ASSERT_EQ(d.dependency_only.size(), 1u);
  EXPECT_EQ(d.dependency_only[0].after.id.kind, "Deployment");
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].id.name, "new");
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].id.name, "gone");
}

TEST(StoreDiff, ARootEqualsItself) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  auto a = store.add(graph_of({config_map("cfg", "1")}), {});
  auto nodes = store.find_root(a.root)->nodes;
  StoreDiff d = diff_stored(store, nodes, nodes);
  EXPECT_TRUE(d.equal());
  EXPECT_EQ(d.identical, 1u);
}

TEST(StoreDiff, PairsResourcesAcrossApiVersions) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Json v1 = config_map("x", "1");
  v1["apiVersion"] = "example.com/v1";
  v1["kind"] = "Thing";
  Json v2 = v1;
  v2["apiVersion"] = "example.com/v2";
  auto a = store.add(graph_of({v1}), {});
  auto b = store.add(graph_of({v2}), {});
  StoreDiff d = diff_stored(store, store.find_root(a.root)->nodes, store.find_root(b.root)->nodes);
  EXPECT_EQ(d.modified.size(), 1u);
  EXPECT_TRUE(d.added.empty());
}

}  // namespace
}  // namespace kix
