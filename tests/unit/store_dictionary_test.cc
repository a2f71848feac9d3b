// zstd dictionaries trained on the store's own manifests, and the bounded
// write-ahead log.
#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include <filesystem>

#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

// A Deployment of realistic size whose content varies with `i`, so that
// enough distinct samples exist for zstd to train on.
Json service_deployment(int i, const std::string& image_tag = "1.0") {
  std::string name = "svc-" + std::to_string(i);
  Json env = Json::array();
  for (int k = 0; k < 6; ++k) {
    env.push_back({{"name", "SETTING_" + std::to_string(k)},
                   {"value", std::to_string(i * 7919 % (1000 + k))}});
  }
  Json container{
      {"name", name},
      {"image", "registry.example.com/team/" + name + ":" + image_tag},
      {"env", env},
      {"ports", Json::array({{{"containerPort", 8000 + i % 100}}})},
      {"resources",
       {{"limits", {{"cpu", "500m"}, {"memory", std::to_string(128 + i % 64) + "Mi"}}},
        {"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}}},
      {"readinessProbe",
       {{"httpGet", {{"path", "/healthz"}, {"port", 8000 + i % 100}}}, {"periodSeconds", 10}}}};
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata",
               {{"name", name},
                {"namespace", "ns-" + std::to_string(i % 13)},
                {"labels", {{"app", name}, {"team", "team-" + std::to_string(i % 5)}}}}},
              {"spec",
               {{"replicas", 1 + i % 4},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec", {{"containers", Json::array({container})}}}}}}}};
}

Graph deployments(int first, int count, const std::string& image_tag = "1.0") {
  std::vector<Json> values;
  for (int i = first; i < first + count; ++i) values.push_back(service_deployment(i, image_tag));
  return graph_of(values);
}

int64_t query_int(SqliteStore& store, const std::string& sql) {
  auto s_db = testing::raw_database(store);

  auto s = s_db.prepare(sql);
  EXPECT_TRUE(s.step()) << sql;
  return s.column_int(0);
}

int64_t dictionary_of(SqliteStore& store, const Hash& blob) {
  auto s_db = testing::raw_database(store);

  auto s = s_db.prepare("SELECT dict FROM blobs WHERE hash = ?");
  s.bind(1, blob);
  EXPECT_TRUE(s.step());
  return s.column_int(0);
}

TEST(StoreDictionary, SmallStoresCompressEachBlobOnItsOwn) {
  TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  store.add(deployments(0, 20), in_cluster("prod"));
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM dictionaries"), 0);
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM blobs WHERE dict <> 0"), 0);
}

TEST(StoreDictionary, ABudgetOfZeroSpoolsEveryCompressedBlobAndStoresTheSame) {
  TempDir a, b;
  Graph g = deployments(0, 600);
  auto whole = SqliteStore::open(a.path());
  AddResult kept = whole->add(g, in_cluster("prod"));
  auto spooled = SqliteStore::open(b.path());
  AddOptions options = in_cluster("prod");
  options.memory_budget_bytes = 0;
  AddResult r = spooled->add(g, options);
  EXPECT_EQ(r.root, kept.root);
  EXPECT_EQ(r.new_blobs, kept.new_blobs);
  EXPECT_EQ(r.written_bytes, kept.written_bytes);
  for (const Manifest& m : g.manifests) EXPECT_EQ(spooled->read_blob(m.blob), m.canonical);
  EXPECT_EQ(query_int(*spooled, "SELECT sum(length(data)) FROM blobs"),
            query_int(*whole, "SELECT sum(length(data)) FROM blobs"));
}

TEST(StoreDictionary, TrainsOneDictionaryAndEveryBlobRoundTrips) {
  TempDir dir;
  Graph g = deployments(0, 600);
  {
    auto store_owner = SqliteStore::open(dir.path());
    SqliteStore& store = *store_owner;
    store.add(g, in_cluster("prod"));
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM dictionaries"), 1);
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM blobs WHERE dict = 0"), 0);
  }
  // A fresh process reads them with the stored dictionary.
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  for (const Manifest& m : g.manifests) {
    EXPECT_EQ(dictionary_of(store, m.blob), 1);
    EXPECT_EQ(store.read_blob(m.blob), m.canonical);
  }
  EXPECT_TRUE(store.verify({}).ok());
}

TEST(StoreDictionary, DictionaryCompressesBetterThanSingleBlobs) {
  TempDir with_dictionary, without;
  Graph large = deployments(0, 600);
  auto a_owner = SqliteStore::open(with_dictionary.path());
  SqliteStore& a = *a_owner;
  AddResult trained = a.add(large, in_cluster("prod"));
  ZstdCodec codec;
  uint64_t plain = 0;
  for (const Manifest& m : large.manifests) plain += codec.compress(m.canonical).size();
  EXPECT_LT(trained.written_bytes * 2, plain);
}

TEST(StoreDictionary, BlobsStoredBeforeTheDictionaryStayReadable) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph early = deployments(10000, 30);
  store.add(early, in_cluster("prod"));
  store.add(deployments(0, 600), in_cluster("prod"));
  ASSERT_EQ(query_int(store, "SELECT count(*) FROM dictionaries"), 1);
  for (const Manifest& m : early.manifests) {
    EXPECT_EQ(dictionary_of(store, m.blob), 0);
    EXPECT_EQ(store.read_blob(m.blob), m.canonical);
  }
  EXPECT_TRUE(store.verify({}).ok());
}

TEST(StoreDictionary, LaterAddsReuseTheStoredDictionary) {
  TempDir dir;
  SqliteStore::open(dir.path())->add(deployments(0, 600), in_cluster("prod"));
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph next = deployments(0, 5, "2.0");
  AddResult r = store.add(next, in_cluster("prod"));
  EXPECT_EQ(r.new_blobs, 5u);
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM dictionaries"), 1);
  for (const Manifest& m : next.manifests) {
    EXPECT_EQ(dictionary_of(store, m.blob), 1);
    EXPECT_EQ(store.read_blob(m.blob), m.canonical);
  }
}

TEST(StoreDictionary, VerifyCatchesACorruptedDictionaryCompressedBlob) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g = deployments(0, 600);
  store.add(g, in_cluster("prod"));
  const Hash& victim = g.manifests[17].blob;
  ASSERT_EQ(dictionary_of(store, victim), 1);
  auto read_db = testing::raw_database(store);

  auto read = read_db.prepare("SELECT data FROM blobs WHERE hash = ?");
  read.bind(1, victim);
  ASSERT_TRUE(read.step());
  std::string data(read.column_blob(0));
  read.reset();
  data[data.size() / 2] ^= 0x10;
  auto write_db = testing::raw_database(store);

  auto write = write_db.prepare("UPDATE blobs SET data = ? WHERE hash = ?");
  write.bind_blob(1, data).bind(2, victim);
  write.run();

  VerifyReport r = store.verify({});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kCorruptBlob);
  EXPECT_EQ(r.problems[0].object, "blob " + victim.hex());
  EXPECT_ERROR_KIND(store.read_blob(victim), ErrorKind::kCorruption);
}

TEST(StoreDictionary, AMissingDictionaryMakesItsBlobsCorruptNotUnreadableStore) {
  TempDir dir;
  Graph g = deployments(0, 600);
  {
    auto store_owner = SqliteStore::open(dir.path());
    SqliteStore& store = *store_owner;
    store.add(g, in_cluster("prod"));
    testing::raw_database(store).exec("DELETE FROM dictionaries");
  }
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  try {
    store.read_blob(g.manifests[0].blob);
    FAIL() << "read a blob without its dictionary";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
  }
  VerifyReport r = store.verify({});
  EXPECT_EQ(r.problems.size(), g.manifests.size());
  for (const auto& p : r.problems) EXPECT_EQ(p.kind, ProblemKind::kCorruptBlob);
}

TEST(StoreWal, LeavesNoLargeLogBehindAfterALargeAdd) {
  TempDir dir;
  {
    auto store_owner = SqliteStore::open(dir.path());
    SqliteStore& store = *store_owner;
    store.add(deployments(0, 2000), in_cluster("prod"));
    store.add(deployments(0, 2000, "2.0"), in_cluster("prod"));
  }
  std::filesystem::path wal = dir.path() / "store.db-wal";
  std::error_code ec;
  uintmax_t size = std::filesystem::exists(wal) ? std::filesystem::file_size(wal, ec) : 0;
  EXPECT_LT(size, 64u * 1024) << "the -wal file keeps " << size << " bytes";
  EXPECT_GT(std::filesystem::file_size(dir.path() / "store.db"), 64u * 1024);
}

}  // namespace
}  // namespace kix
