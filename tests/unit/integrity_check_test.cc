#include "store/integrity_check.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/sqlite_store.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

// A closed store of one generation, so that its database is one file.
struct SmallStore {
  TempDir dir;
  SmallStore() {
    auto store = SqliteStore::open(dir.path());
    store->add(graph_of({config_map("a", "1"), config_map("b", "2")}), in_cluster("prod"));
  }
  std::filesystem::path file() const { return dir.path() / "store.db"; }
};

// Adds 3 to the free-page count in the database header: damage outside any
// b-tree, which no index rebuild repairs.
void miscount_free_pages(const std::filesystem::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  unsigned char count[4];
  f.seekg(36);
  f.read(reinterpret_cast<char*>(count), 4);
  count[3] = static_cast<unsigned char>(count[3] + 3);
  f.seekp(36);
  f.write(reinterpret_cast<const char*>(count), 4);
  ASSERT_TRUE(f.good());
}

TEST(IntegrityCheck, ASoundStoreHasNoProblems) {
  SmallStore s;
  sqlite::Database db(s.file());
  IntegrityReport report = check_integrity(db);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_FALSE(report.only_indexes);
  EXPECT_TRUE(BackgroundIntegrityCheck(s.file()).wait().problems.empty());
}

TEST(IntegrityCheck, DamageToAnIndexIsToldFromOtherDamage) {
  SmallStore index_damaged;
  ASSERT_TRUE(testing::flip_page_byte(index_damaged.file(), "sqlite_autoindex_nodes_1"));
  IntegrityReport report = BackgroundIntegrityCheck(index_damaged.file()).wait();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_TRUE(report.only_indexes) << report.problems.front();

  SmallStore file_damaged;
  miscount_free_pages(file_damaged.file());
  report = BackgroundIntegrityCheck(file_damaged.file()).wait();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_FALSE(report.only_indexes) << report.problems.front();
  // The same findings on the caller's own connection.
  sqlite::Database db(file_damaged.file());
  EXPECT_EQ(check_integrity(db).problems, report.problems);
}

// gc holds the write lock while the check runs on a second connection: the
// check must not wait for that lock (wait() would then hang for the
// connection's busy timeout, minutes).
TEST(IntegrityCheck, DoesNotWaitForTheWriteLock) {
  SmallStore s;
  sqlite::Database writer(s.file());
  writer.exec("PRAGMA journal_mode=WAL");
  sqlite::Transaction t(writer, sqlite::Transaction::Mode::kWrite);
  BackgroundIntegrityCheck check(s.file());
  writer.exec("CREATE TABLE scratch (x)");
  writer.exec("INSERT INTO scratch VALUES (1)");
  EXPECT_TRUE(check.wait().problems.empty());
}

TEST(IntegrityCheck, AMissingDatabaseIsAnErrorFromWait) {
  TempDir dir;
  BackgroundIntegrityCheck check(dir.path() / "store.db");
  try {
    check.wait();
    FAIL() << "wait() returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo) << e.render();
  }
}

}  // namespace
}  // namespace kix
