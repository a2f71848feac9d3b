// The on-disk format of SqliteStore: what it refuses to open, how it
// upgrades a store of an older version, and that it never writes into a
// file it did not create.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "store/gc.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/error_kind.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

namespace fs = std::filesystem;
using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

Error open_error(const fs::path& dir) {
  try {
    SqliteStore::open(dir);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "the store opened";
  return Error(ErrorKind::kInternal, "");
}

// The store.db of `dir` is refused with `kind`, and left byte for byte as
// it was, with nothing created beside it.
void expect_refused(const fs::path& dir, ErrorKind kind, const std::string& words) {
  std::string before = read_file(dir / "store.db");
  Error e = open_error(dir);
  EXPECT_EQ(e.kind(), kind) << e.render();
  EXPECT_NE(e.message().find(words), std::string::npos) << e.message();
  EXPECT_NE(e.message().find((dir / "store.db").string()), std::string::npos) << e.message();
  EXPECT_EQ(read_file(dir / "store.db"), before);
  EXPECT_FALSE(fs::exists(dir / "store.db-wal"));
}

TEST(StoreFormat, ANewStoreIsPrivateAndCarriesTheApplicationId) {
  TempDir dir;
  fs::path path = dir.path() / "new";
  SqliteStore::open(path)->add(graph_of({config_map("a", "1")}), in_cluster("prod"));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(path / "store.db").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  sqlite::Database db(path / "store.db");
  auto id = db.prepare("PRAGMA application_id");
  ASSERT_TRUE(id.step());
  EXPECT_EQ(id.column_int(0), kStoreApplicationId);
  auto version = db.prepare("SELECT version FROM schema_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int(0), kSchemaVersion);
  // Nothing of the creation is left beside it.
  for (const auto& entry : fs::directory_iterator(path)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".store.db.", 0), std::string::npos)
        << entry.path();
  }
}

TEST(StoreFormat, RefusesAnEmptyDatabaseFile) {
  TempDir dir;
  write_file(dir.path() / "store.db", "");
  expect_refused(dir.path(), ErrorKind::kCorruption, "is empty");
}

TEST(StoreFormat, RefusesATruncatedDatabaseFile) {
  TempDir dir;
  write_file(dir.path() / "store.db", "S");
  expect_refused(dir.path(), ErrorKind::kCorruption, "1 byte long");
}

TEST(StoreFormat, RefusesAFileThatIsNotSqlite) {
  TempDir dir;
  write_file(dir.path() / "store.db", std::string(4096, 'x'));
  expect_refused(dir.path(), ErrorKind::kInvalidInput, "not a SQLite database");
}

TEST(StoreFormat, RefusesASqliteDatabaseOfAnotherProgram) {
  TempDir dir;
  {
    sqlite::Database db(dir.path() / "store.db", sqlite::Database::Open::kCreate);
    db.exec("CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (1)");
  }
  expect_refused(dir.path(), ErrorKind::kInvalidInput, "another program");
}

TEST(StoreFormat, RefusesAWriteAheadLogWithoutItsDatabase) {
  TempDir dir;
  write_file(dir.path() / "store.db-wal", "");
  Error e = open_error(dir.path());
  EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
  EXPECT_FALSE(fs::exists(dir.path() / "store.db"));
}

TEST(StoreFormat, RefusesANewerFormatVersion) {
  TempDir dir;
  SqliteStore::open(dir.path())->add(graph_of({config_map("a", "1")}), in_cluster("prod"));
  testing::raw_database(*SqliteStore::open(dir.path()))
      .exec("UPDATE schema_version SET version = " + std::to_string(kSchemaVersion + 1));
  Error e = open_error(dir.path());
  EXPECT_EQ(e.kind(), ErrorKind::kConflict);
  EXPECT_NE(e.hint().find("newer kix"), std::string::npos);
}

// Every table, index and their SQL: what an upgrade must leave exactly as
// a new store has it.
std::vector<std::string> schema_of(const fs::path& file) {
  sqlite::Database db(file);
  auto s = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name");
  std::vector<std::string> rows;
  while (s.step())
    rows.push_back(s.column_text(0) + " " + s.column_text(1) + " " + s.column_text(2));
  return rows;
}

// A copy of tests/fixtures/store-v1, written by kix 0.1.0.
class StoreFormatV1 : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path fixture = fs::path(KIX_SOURCE_DIR) / "tests/fixtures/store-v1";
    fs::create_directory(dir.path() / "store");
    fs::copy_file(fixture / "store.db", dir.path() / "store" / "store.db");
    std::ifstream in(fixture / "expected.json");
    expected = Json::parse(in);
  }
  TempDir dir;
  Json expected;
  FixedKeyring keys = testing::test_keyring();
  // The Secret kix 0.1.0 stored in plaintext (root of `plain`).
  static constexpr const char* kPlaintextValue = "correct-horse-battery";
  const Hash plain_root =
      *Hash::from_hex("a7e5c4b77b75a1fad86fc8551964cd70862811d63ceb77b683a3474bb985d893");
};

TEST_F(StoreFormatV1, OpeningOnlyToReadNeitherUpgradesNorWrites) {
  fs::path file = dir.path() / "store" / "store.db";
  auto bytes = [&] {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string before = bytes();
  EXPECT_ERROR_KIND(SqliteStore::open_existing(dir.path() / "store"), ErrorKind::kConflict);
  EXPECT_EQ(bytes(), before);
  EXPECT_ERROR_KIND(SqliteStore::open_existing(dir.path() / "none"), ErrorKind::kNotFound);
  EXPECT_FALSE(fs::exists(dir.path() / "none"));
  // Once upgraded, it reads.
  SqliteStore::open(dir.path() / "store", &keys);
  EXPECT_FALSE(SqliteStore::open_existing(dir.path() / "store")->clusters().empty());
}

TEST_F(StoreFormatV1, OpensUpgradesAndReadsEverything) {
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path() / "store", &keys);
  for (const auto& [cluster, generations] : expected["clusters"].items()) {
    std::vector<Generation> got = store->generations(cluster);
    ASSERT_EQ(got.size(), generations.size()) << cluster;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].number, generations[i]["number"].get<int64_t>());
      EXPECT_EQ(got[i].root.hex(), generations[i]["root"].get<std::string>());
      EXPECT_EQ(got[i].time, generations[i]["time"].get<int64_t>());
      EXPECT_EQ(got[i].message, generations[i]["message"].get<std::string>());
    }
  }
  for (const auto& [root, count] : expected["resources"].items()) {
    RootGraph graph = store->load_graph(*Hash::from_hex(root));
    EXPECT_EQ(graph.graph.manifests.size(), count.get<size_t>()) << root;
  }
  for (const auto& pinned : expected["pinned"]) {
    EXPECT_TRUE(store->is_pinned(*Hash::from_hex(pinned.get<std::string>())));
  }
  for (const auto& [cluster, generation] : expected["deployed"].items()) {
    EXPECT_EQ(store->last_deployment(cluster)->generation, generation.get<int64_t>());
  }
  VerifyOptions with_key;
  with_key.keys = &keys;
  VerifyReport report = store->verify(with_key);
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.secrets, 1u);
  EXPECT_EQ(report.secrets_unopened, 0u);

  sqlite::Database db(store->database_file());
  auto version = db.prepare("SELECT version FROM schema_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int(0), kSchemaVersion);
  auto id = db.prepare("PRAGMA application_id");
  ASSERT_TRUE(id.step());
  EXPECT_EQ(id.column_int(0), kStoreApplicationId);
}

TEST_F(StoreFormatV1, TheUpgradedStoreHasTheSchemaOfANewOne) {
  std::unique_ptr<SqliteStore> upgraded = SqliteStore::open(dir.path() / "store", &keys);
  std::unique_ptr<SqliteStore> fresh = SqliteStore::open(dir.path() / "fresh");
  EXPECT_EQ(schema_of(upgraded->database_file()), schema_of(fresh->database_file()));
}

TEST_F(StoreFormatV1, KeepsWorkingAfterTheUpgrade) {
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path() / "store", &keys);
  AddResult r = store->add(graph_of({config_map("a", "1")}), in_cluster("my-homelab"));
  EXPECT_EQ(r.generation, 3);
  GcOptions options;
  options.keep_generations = 1;
  store->collect_garbage(options);
  EXPECT_TRUE(store->verify({}).ok());
}

TEST_F(StoreFormatV1, TheUpgradeSealsThePlaintextSecretKeepingItsHash) {
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path() / "store", &keys);
  // No blob holds the value any more, decompressed or not.
  sqlite::Database db(store->database_file());
  auto blobs = db.prepare("SELECT hash FROM blobs");
  size_t count = 0;
  while (blobs.step()) {
    ++count;
    EXPECT_EQ(store->read_blob(blobs.column_hash(0)).find(kPlaintextValue), std::string::npos);
  }
  EXPECT_GT(count, 0u);
  auto sealed = db.prepare("SELECT key_id, legacy FROM secrets");
  ASSERT_TRUE(sealed.step());
  EXPECT_EQ(sealed.column_text(0), testing::test_secret_key().id());
  EXPECT_EQ(sealed.column_int(1), 1);
  EXPECT_FALSE(sealed.step());
  store.reset();
  EXPECT_EQ(read_file(dir.path() / "store" / "store.db").find(kPlaintextValue), std::string::npos);

  // The root keeps its hash, and the key gives the value back.
  store = SqliteStore::open(dir.path() / "store", &keys);
  RootGraph graph = store->load_graph(plain_root, &keys);
  const Manifest* secret = nullptr;
  for (const Manifest& m : graph.graph.manifests) {
    if (m.id.kind == "Secret") secret = &m;
  }
  ASSERT_NE(secret, nullptr);
  EXPECT_TRUE(secret->values_known);
  EXPECT_EQ(secret->value["stringData"]["password"], kPlaintextValue);

  // Without the key: the same root, the value unknown, verify still passes.
  FixedKeyring none(std::nullopt);
  RootGraph blind = store->load_graph(plain_root, &none);
  EXPECT_EQ(blind.root, plain_root);
  for (const Manifest& m : blind.graph.manifests) {
    if (m.id.kind != "Secret") continue;
    EXPECT_FALSE(m.values_known);
    EXPECT_EQ(m.value.dump().find(kPlaintextValue), std::string::npos);
  }
  VerifyOptions blind_verify;
  blind_verify.keys = &none;
  VerifyReport report = store->verify(blind_verify);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.secrets_unopened, 1u);
}

TEST_F(StoreFormatV1, WithoutAKeyringTheUpgradeIsRefusedAndNothingChanges) {
  const std::string before = read_file(dir.path() / "store" / "store.db");
  Error e = open_error(dir.path() / "store");
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_NE(e.message().find("plaintext"), std::string::npos) << e.message();
  EXPECT_EQ(read_file(dir.path() / "store" / "store.db"), before);
}

}  // namespace
}  // namespace kix

namespace kix {
namespace {

TEST(StoreFormat, AStoreOthersCanReadIsNamedWithTheFix) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "s";
  auto store = SqliteStore::open(path);
  EXPECT_FALSE(store->permission_problem());
  std::filesystem::permissions(
      path, std::filesystem::perms::group_read | std::filesystem::perms::group_exec,
      std::filesystem::perm_options::add);
  auto problem = store->permission_problem();
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("chmod 700 " + path.string()), std::string::npos) << *problem;
}

// A copy of a kept store of an older version (tests/fixtures/store-vN),
// opened and upgraded by the current kix, and what its expected.json says
// it holds.
class KeptStore : public ::testing::Test {
 protected:
  void open_copy(const std::string& name) {
    fs::path fixture = fs::path(KIX_SOURCE_DIR) / "tests/fixtures" / name;
    fs::create_directory(dir.path() / "store");
    fs::copy_file(fixture / "store.db", dir.path() / "store" / "store.db");
    std::ifstream in(fixture / "expected.json");
    expected = Json::parse(in);
    store = SqliteStore::open(dir.path() / "store", &keys);
  }

  // Every generation, root, resource, sealed Secret (with its key), pin,
  // source and deployment record expected.json lists reads back, verify
  // passes, and the version is the current one.
  void expect_everything_reads() {
    for (const auto& [cluster, generations] : expected["clusters"].items()) {
      std::vector<Generation> got = store->generations(cluster);
      ASSERT_EQ(got.size(), generations.size()) << cluster;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].number, generations[i]["number"].get<int64_t>());
        EXPECT_EQ(got[i].root.hex(), generations[i]["root"].get<std::string>());
        EXPECT_EQ(got[i].time, generations[i]["time"].get<int64_t>());
        EXPECT_EQ(got[i].message, generations[i]["message"].get<std::string>());
      }
    }
    size_t secrets_with_values = 0;
    for (const auto& [root, count] : expected["resources"].items()) {
      RootGraph graph = store->load_graph(*Hash::from_hex(root), &keys);
      EXPECT_EQ(graph.graph.manifests.size(), count.get<size_t>()) << root;
      for (const Manifest& m : graph.graph.manifests) {
        if (m.id.kind != "Secret") continue;
        EXPECT_TRUE(m.values_known) << m.id.display();
        secrets_with_values += m.sealed != nullptr;
      }
    }
    EXPECT_EQ(secrets_with_values, expected["sealedSecrets"].get<size_t>());
    for (const auto& pinned : expected["pinned"]) {
      EXPECT_TRUE(store->is_pinned(*Hash::from_hex(pinned.get<std::string>())));
    }
    const Json sources = expected.value("sources", Json::array());
    for (const auto& source : sources) {
      EXPECT_TRUE(store->find_source(*Hash::from_hex(source.get<std::string>())));
    }
    const Json deployments = expected.value("deployments", Json::object());
    for (const auto& [cluster, records] : deployments.items()) {
      std::vector<Deployment> got = store->deployments(cluster);
      ASSERT_EQ(got.size(), records.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].root.hex(), records[i]["root"].get<std::string>());
        EXPECT_EQ(got[i].time, records[i]["time"].get<int64_t>());
        EXPECT_EQ(got[i].context, records[i]["context"].get<std::string>());
        EXPECT_EQ(got[i].generation, records[i]["generation"].get<int64_t>());
        EXPECT_FALSE(got[i].partial);  // before version 5, only complete deploys were recorded
      }
    }
    VerifyOptions with_key;
    with_key.keys = &keys;
    VerifyReport report = store->verify(with_key);
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.secrets, expected["sealedSecrets"].get<size_t>());
    EXPECT_EQ(report.sources, sources.size());
    sqlite::Database db(store->database_file());
    auto version = db.prepare("SELECT version FROM schema_version");
    ASSERT_TRUE(version.step());
    EXPECT_EQ(version.column_int(0), kSchemaVersion);
  }

  // The upgraded store's schema is exactly a new store's.
  void expect_the_schema_of_a_new_store() {
    std::unique_ptr<SqliteStore> fresh = SqliteStore::open(dir.path() / "fresh");
    EXPECT_EQ(schema_of(store->database_file()), schema_of(fresh->database_file()));
  }

  TempDir dir;
  Json expected;
  FixedKeyring keys = testing::test_keyring();
  std::unique_ptr<SqliteStore> store;
};

// Version 3: Secrets sealed, before sources.
TEST_F(KeptStore, Version3OpensUpgradesAndReadsEverything) {
  open_copy("store-v3");
  expect_everything_reads();
  expect_the_schema_of_a_new_store();
  Hash chart = store->keep_source("chart bytes", "helm-chart", "demo 1.0.0");
  EXPECT_EQ(store->find_source(chart), "chart bytes");
}

// Version 4: sources, deployment records without an outcome.
TEST_F(KeptStore, Version4OpensUpgradesAndRecordsPartialDeploys) {
  open_copy("store-v4");
  expect_everything_reads();
  expect_the_schema_of_a_new_store();
  Hash root = *Hash::from_hex(expected["clusters"]["my-homelab"][0]["root"].get<std::string>());
  store->record_deployment("my-homelab", root, 1796192500, "lab", Deployment::Partial{2, 5});
  std::optional<Deployment> last = store->last_deployment("my-homelab");
  ASSERT_TRUE(last && last->partial);
  EXPECT_EQ(last->partial->waves_applied, 2);
  EXPECT_EQ(last->partial->waves_total, 5);
  EXPECT_EQ(store->deployments("my-homelab").size(), 2u);
}

// Version 5: nodes keyed by hash, references as pairs of hashes with their
// reason as text. Every edge comes back with both ends and its reason.
TEST_F(KeptStore, Version5OpensUpgradesAndKeepsEveryReference) {
  open_copy("store-v5");
  expect_everything_reads();
  expect_the_schema_of_a_new_store();
  std::set<std::tuple<std::string, std::string, std::string>> want, got;
  std::set<std::string> sources;
  for (const auto& edge : expected["refs"]) {
    want.emplace(edge[0].get<std::string>(), edge[1].get<std::string>(),
                 edge[2].get<std::string>());
    sources.insert(edge[0].get<std::string>());
  }
  ASSERT_FALSE(want.empty());
  for (const std::string& src : sources) {
    for (const StoredRef& r : store->refs_from(*Hash::from_hex(src))) {
      got.emplace(r.from.hex(), r.to.hex(), r.reason);
      // The reverse index reads the same edge back.
      std::vector<StoredRef> in = store->refs_to(r.to);
      EXPECT_NE(std::find(in.begin(), in.end(), r), in.end());
    }
  }
  EXPECT_EQ(got, want);
  // The upgraded store takes a next generation of what it holds.
  Hash first = *Hash::from_hex(expected["clusters"]["my-homelab"][0]["root"].get<std::string>());
  RootGraph graph = store->load_graph(first, &keys);
  AddOptions again;
  again.cluster = "my-homelab";
  AddResult r = store->add(graph.graph, again);
  EXPECT_EQ(r.root, first);
  EXPECT_EQ(r.new_nodes, 0u);
  EXPECT_TRUE(store->verify({}).ok());
}

// An index damaged in the old format is rebuilt before the upgrade copies
// the tables, and the upgraded store verifies.
TEST_F(KeptStore, Version5WithADamagedIndexIsRebuiltThenUpgraded) {
  fs::path fixture = fs::path(KIX_SOURCE_DIR) / "tests/fixtures/store-v5";
  fs::create_directory(dir.path() / "store");
  fs::path file = dir.path() / "store" / "store.db";
  fs::copy_file(fixture / "store.db", file);
  ASSERT_TRUE(testing::flip_page_byte(file, "refs_by_dst"));
  std::ifstream in(fixture / "expected.json");
  expected = Json::parse(in);
  store = SqliteStore::open(dir.path() / "store", &keys);
  expect_everything_reads();
}

TEST(StoreSources, VerifyFindsADamagedSourceAndRepairDropsIt) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path());
  Hash chart = store->keep_source("chart bytes", "helm-chart", "demo 1.0.0");
  testing::raw_database(*store).exec("UPDATE sources SET data = X'00'");
  EXPECT_ERROR_KIND(store->find_source(chart), ErrorKind::kCorruption);
  VerifyReport report = store->verify({});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::kCorruptSource);
  EXPECT_EQ(report.problems[0].object, "source " + chart.hex());
  VerifyOptions repair;
  repair.repair = true;
  EXPECT_TRUE(store->verify(repair).ok());
  EXPECT_FALSE(store->find_source(chart));
  EXPECT_TRUE(store->verify({}).ok());
}

}  // namespace
}  // namespace kix
