#include "store/verify.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

void flip_byte(SqliteStore& store, const Hash& blob, size_t offset) {
  auto read_db = testing::raw_database(store);

  auto read = read_db.prepare("SELECT data FROM blobs WHERE hash = ?");
  read.bind(1, blob);
  ASSERT_TRUE(read.step());
  std::string data(read.column_blob(0));
  read.reset();
  data[offset % data.size()] ^= 0x01;
  auto write_db = testing::raw_database(store);

  auto write = write_db.prepare("UPDATE blobs SET data = ? WHERE hash = ?");
  write.bind_blob(1, data).bind(2, blob);
  write.run();
}

TEST(Verify, PassesOnAHealthyStore) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  store.add(graph_of({config_map("a", "1"), deployment("web", "x", "a")}), in_cluster("prod"));
  VerifyReport r = store.verify({});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.blobs, 2u);
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_EQ(r.roots, 1u);
}

TEST(Verify, NamesAFlippedByteInABlobAndWhatItAffects) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "x", "a")});
  store.add(g, in_cluster("prod"));
  for (size_t offset : {0u, 5u, 20u}) {
    TempDir d2;
    auto s2_owner = SqliteStore::open(d2.path());
    SqliteStore& s2 = *s2_owner;
    s2.add(g, in_cluster("prod"));
    flip_byte(s2, g.manifests[0].blob, offset);
    VerifyReport r = s2.verify({});
    ASSERT_FALSE(r.ok()) << offset;
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].kind, ProblemKind::kCorruptBlob);
    EXPECT_EQ(r.problems[0].object, "blob " + g.manifests[0].blob.hex());
    std::string affects;
    for (auto& a : r.problems[0].affects) affects += a + "\n";
    EXPECT_NE(affects.find("ConfigMap/a"), std::string::npos) << affects;
    EXPECT_NE(affects.find("prod@1"), std::string::npos) << affects;
  }
}

TEST(Verify, RepairRestoresACorruptBlobFromTheOriginalManifests) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1")});
  store.add(g, in_cluster("prod"));
  flip_byte(store, g.manifests[0].blob, 7);
  VerifyOptions without;
  without.repair = true;
  EXPECT_FALSE(store.verify(without).ok());  // used by a node: needs --from

  VerifyOptions with;
  with.repair = true;
  with.sources = &g.manifests;
  VerifyReport r = store.verify(with);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_TRUE(r.problems[0].repaired);
  EXPECT_TRUE(store.verify({}).ok());
  EXPECT_TRUE(store.verify({}).problems.empty());
}

TEST(Verify, FindsNodeAndRootHashMismatches) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "x", "a")});
  store.add(g, in_cluster("prod"));
  auto drop_db = testing::raw_database(store);

  auto drop = drop_db.prepare("DELETE FROM refs");
  drop.run();
  VerifyReport r = store.verify({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kBadNode);
  EXPECT_EQ(r.problems[0].object, "node " + g.nodes[1].hex());
}

TEST(Verify, NamesAReferenceToANodeThatIsNotStored) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1"), deployment("web", "x", "a")});
  store.add(g, in_cluster("prod"));
  auto db = testing::raw_database(store);
  auto drop = db.prepare("DELETE FROM nodes WHERE hash = ?");
  drop.bind(1, g.nodes[0]);
  drop.run();

  VerifyReport r = store.verify({});
  ASSERT_FALSE(r.ok());
  auto missing = std::find_if(r.problems.begin(), r.problems.end(), [](const VerifyProblem& p) {
    return p.kind == ProblemKind::kMissingNode && p.object.rfind("node number ", 0) == 0;
  });
  ASSERT_NE(missing, r.problems.end());
  EXPECT_NE(missing->message.find("Deployment/web"), std::string::npos) << missing->message;
  EXPECT_NE(missing->message.find("not stored"), std::string::npos);
}

// A root's list is checked against the stored nodes by a sorted search:
// nodes missing at its start, middle and end are each named once.
TEST(Verify, NamesEveryNodeARootListsButTheStoreLacks) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Json> values;
  for (int i = 0; i < 40; ++i) values.push_back(config_map("c" + std::to_string(i), "v"));
  Graph g = graph_of(values);
  store.add(g, in_cluster("prod"));
  std::vector<Hash> sorted = g.nodes;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<Hash> gone = {sorted.front(), sorted[sorted.size() / 2], sorted.back()};
  {
    auto db = testing::raw_database(store);
    auto drop = db.prepare("DELETE FROM nodes WHERE hash = ?");
    for (const Hash& h : gone) {
      drop.bind(1, h);
      drop.run();
      drop.reset();
    }
  }
  VerifyReport r = store.verify({});
  ASSERT_FALSE(r.ok());
  std::vector<std::string> named;
  for (const VerifyProblem& p : r.problems) {
    if (p.kind == ProblemKind::kMissingNode && p.message == "listed by a root but not stored") {
      named.push_back(p.object);
    }
  }
  std::vector<std::string> expected;
  for (const Hash& h : gone) expected.push_back("node " + h.hex());
  EXPECT_EQ(named, expected);
}

// Blobs are checked on every core: damage at the start, in the middle and
// at the end of the table is each found, and only there.
TEST(Verify, FindsDamagedBlobsWhereverTheyAreInTheTable) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  std::vector<Json> values;
  uint64_t x = 88172645463325252ull;  // xorshift: distinct values
  for (int i = 0; i < 1200; ++i) {
    std::string value;
    for (int j = 0; j < 200; ++j) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      value += std::to_string(x % 100000000);
    }
    values.push_back(config_map("c" + std::to_string(i), value));
  }
  Graph g = graph_of(values);
  store.add(g, in_cluster("prod"));
  std::vector<Hash> in_table_order;
  {
    auto db = testing::raw_database(store);
    auto rows = db.prepare("SELECT hash FROM blobs ORDER BY rowid");
    while (rows.step()) in_table_order.push_back(rows.column_hash(0));
  }
  const std::vector<Hash> damaged = {
      in_table_order.front(), in_table_order[in_table_order.size() / 2], in_table_order.back()};
  for (const Hash& h : damaged) flip_byte(store, h, 9);
  VerifyReport r = store.verify({});
  ASSERT_FALSE(r.ok());
  std::vector<std::string> named;
  for (const VerifyProblem& p : r.problems) {
    if (p.kind == ProblemKind::kCorruptBlob) named.push_back(p.object);
  }
  std::vector<std::string> expected;
  for (const Hash& h : damaged) expected.push_back("blob " + h.hex());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(named, expected);
  EXPECT_EQ(r.blobs, values.size());
}

TEST(Verify, RepairRebuildsIdentityColumns) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = graph_of({config_map("a", "1")});
  store.add(g, {});
  testing::raw_database(store).exec("UPDATE nodes SET name = 'wrong'");
  VerifyReport r = store.verify({});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kWrongIdentity);
  VerifyOptions repair;
  repair.repair = true;
  EXPECT_TRUE(store.verify(repair).ok());
  EXPECT_EQ(store.find_node(g.nodes[0])->id.name, "a");
}

}  // namespace
}  // namespace kix
