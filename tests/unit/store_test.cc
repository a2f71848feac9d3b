#include "store/root_encoding.h"
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

TEST(Store, AddReturnsTheGraphRootAndStoresEveryResource) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  AddResult r = store.add(g, in_cluster("prod"));
  EXPECT_EQ(r.root, g.root("prod"));
  EXPECT_EQ(r.resources, 2u);
  EXPECT_EQ(r.new_blobs, 2u);
  EXPECT_EQ(r.new_nodes, 2u);
  ASSERT_TRUE(r.generation);
  EXPECT_EQ(*r.generation, 1);

  auto root = store.find_root(r.root);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->cluster, "prod");
  EXPECT_EQ(root->nodes.size(), 2u);
  EXPECT_TRUE(std::is_sorted(root->nodes.begin(), root->nodes.end()));
  for (size_t i = 0; i < g.manifests.size(); ++i) {
    auto node = store.find_node(g.nodes[i]);
    ASSERT_TRUE(node);
    EXPECT_EQ(node->id, g.manifests[i].id);
    EXPECT_EQ(store.read_blob(node->blob), g.manifests[i].canonical);
  }
}

TEST(Store, RecordsTheReferenceEdgesWithTheirReasons) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  store.add(g, {});
  auto refs = store.refs_from(g.nodes[1]);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].to, g.nodes[0]);
  EXPECT_NE(refs[0].reason.find("configMap"), std::string::npos) << refs[0].reason;
  EXPECT_EQ(store.refs_to(g.nodes[0]).size(), 1u);
  EXPECT_EQ(store.closure({g.nodes[1]}).size(), 2u);
  EXPECT_EQ(store.closure({g.nodes[0]}).size(), 1u);
}

TEST(Store, ReusesBlobsAlreadyStored) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  store.add(graph_of({config_map("a", "1"), config_map("b", "2")}), in_cluster("prod"));
  AddResult r =
      store.add(graph_of({config_map("a", "1"), config_map("b", "3")}), in_cluster("prod"));
  EXPECT_EQ(r.new_blobs, 1u);
  EXPECT_EQ(r.reused_blobs, 1u);
  EXPECT_EQ(*r.generation, 2);
}

TEST(Store, WithoutClusterHashesWithEmptyNameAndRecordsNoGeneration) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1")});
  AddResult r = store.add(g, {});
  EXPECT_EQ(r.root, g.root(""));
  EXPECT_FALSE(r.generation);
  EXPECT_TRUE(store.clusters().empty());
}

TEST(Store, GenerationsAreNumberedPerCluster) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  store.add(graph_of({config_map("a", "1")}), in_cluster("prod", 10));
  store.add(graph_of({config_map("a", "2")}), in_cluster("staging", 20));
  store.add(graph_of({config_map("a", "3")}), in_cluster("prod", 30));
  auto prod = store.generations("prod");
  ASSERT_EQ(prod.size(), 2u);
  EXPECT_EQ(prod[0].number, 1);
  EXPECT_EQ(prod[1].number, 2);
  EXPECT_EQ(prod[1].time, 30);
  EXPECT_EQ(store.current_generation("staging")->number, 1);
  EXPECT_EQ(store.clusters(), (std::vector<std::string>{"prod", "staging"}));
  Generation g = store.append_generation({"prod", prod[0].root, "rollback", "", 40});
  EXPECT_EQ(g.number, 3);
  EXPECT_EQ(store.current_generation("prod")->root, prod[0].root);
}

TEST(Store, RejectsInvalidClusterNamesBeforeWriting) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  for (std::string bad : {"", "a@b", "has space", "-x"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR_KIND(store.add(graph_of({config_map("a", "1")}), in_cluster(bad)),
                      ErrorKind::kInvalidInput);
  }
  EXPECT_TRUE(store.clusters().empty());
}

TEST(Store, FindsObjectsByHexPrefix) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1")});
  AddResult r = store.add(g, in_cluster("prod"));
  auto roots = store.find_by_prefix(r.root.hex().substr(0, 9), 10);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].first, r.root);
  EXPECT_EQ(roots[0].second, ObjectKind::kRoot);
  auto nodes = store.find_by_prefix(g.nodes[0].hex().substr(0, 8), 10);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].second, ObjectKind::kNode);
}

TEST(Store, PinRequiresAnExistingObjectAndIsIdempotent) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  AddResult r = store.add(graph_of({config_map("a", "1")}), {});
  EXPECT_ERROR_KIND(store.pin(Hash::of("nothing"), ObjectKind::kRoot, 1), ErrorKind::kNotFound);
  EXPECT_TRUE(store.pin(r.root, ObjectKind::kRoot, 1));
  EXPECT_FALSE(store.pin(r.root, ObjectKind::kRoot, 2));
  EXPECT_EQ(store.pins().size(), 1u);
  EXPECT_TRUE(store.unpin(r.root));
  EXPECT_FALSE(store.unpin(r.root));
}

TEST(Store, ReadingATamperedBlobIsCorruption) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1")});
  store.add(g, {});
  auto s_db = testing::raw_database(store);

  auto s = s_db.prepare("UPDATE blobs SET data = ? WHERE hash = ?");
  s.bind_blob(1, ZstdCodec().compress(testing::config_map("a", "2").dump()))
      .bind(2, g.manifests[0].blob);
  s.run();
  try {
    store.read_blob(g.manifests[0].blob);
    FAIL() << "expected corruption";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
    EXPECT_NE(e.message().find(g.manifests[0].blob.hex()), std::string::npos);
  }
}

TEST(Store, ReopensAnExistingStoreAndRefusesForeignDatabases) {
  TempDir dir;
  {
    auto store_owner = SqliteStore::open(dir.path());
    SqliteStore& store = *store_owner;
    store.add(graph_of({config_map("a", "1")}), in_cluster("prod"));
  }
  auto again_owner = SqliteStore::open(dir.path());
  SqliteStore& again = *again_owner;
  EXPECT_EQ(again.generations("prod").size(), 1u);

  TempDir other;
  {
    sqlite::Database db(other.path() / "store.db", sqlite::Database::Open::kCreate);
    db.exec("CREATE TABLE unrelated (x INTEGER)");
  }
  EXPECT_ERROR_KIND(SqliteStore::open(other.path()), ErrorKind::kInvalidInput);
}

TEST(Store, PackedHashListsRoundTrip) {
  std::vector<Hash> hashes{Hash::of("a"), Hash::of("b"), Hash::of("c")};
  EXPECT_EQ(unpack_hashes(pack_hashes(hashes)), hashes);
  EXPECT_ERROR_KIND(unpack_hashes("short"), ErrorKind::kCorruption);
}

}  // namespace
}  // namespace kix
