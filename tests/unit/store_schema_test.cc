#include "store/schema.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/sqlite.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

TEST(StoreSchema, EmbeddedTextMatchesSchemaFile) {
  std::ifstream in(std::string(KIX_SOURCE_DIR) + "/store/schema.sql", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read store/schema.sql";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), schema_sql()) << "the embedded schema is stale: re-run cmake";
}

TEST(StoreSchema, RecordsItsVersion) {
  EXPECT_NE(schema_sql().find("VALUES (" + std::to_string(kSchemaVersion) + ")"),
            std::string::npos);
}

// An empty view (a default one has a null data()) is the empty string,
// never NULL, whatever text column it goes into.
TEST(StoreSqlite, AnEmptyViewIsBoundAsEmptyText) {
  testing::TempDir dir;
  sqlite::Database db(dir.path() / "t.db", sqlite::Database::Open::kCreate);
  db.exec("CREATE TABLE t (x TEXT NOT NULL)");
  auto insert = db.prepare("INSERT INTO t VALUES (?)");
  insert.bind(1, std::string_view());
  insert.run();
  auto s = db.prepare("SELECT x IS NOT NULL AND x = '' FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int(0), 1);
}

// A failed bind names its own cause, not an earlier statement's error.
TEST(StoreSqlite, ABindFailureSaysWhatFailed) {
  testing::TempDir dir;
  sqlite::Database db(dir.path() / "t.db", sqlite::Database::Open::kCreate);
  db.exec("CREATE TABLE t (x TEXT NOT NULL)");
  EXPECT_THROW(db.exec("INSERT INTO t VALUES (NULL)"), Error);  // leaves a message behind
  auto insert = db.prepare("INSERT INTO t VALUES (?)");
  try {
    insert.bind(2, std::string_view("x"));
    FAIL() << "bound a parameter that does not exist";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("column index out of range"), std::string::npos) << e.message();
    EXPECT_EQ(e.message().find("NOT NULL"), std::string::npos) << e.message();
  }
}

TEST(StoreSqlite, TransactionRollsBackUnlessCommitted) {
  testing::TempDir dir;
  sqlite::Database db(dir.path() / "t.db", sqlite::Database::Open::kCreate);
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    sqlite::Transaction t(db, sqlite::Transaction::Mode::kWrite);
    db.exec("INSERT INTO t VALUES (1)");
  }
  {
    sqlite::Transaction t(db, sqlite::Transaction::Mode::kWrite);
    db.exec("INSERT INTO t VALUES (2)");
    t.commit();
  }
  auto s = db.prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_text(0), "2");
}

TEST(StoreSqlite, AWriterWaitsForAnotherWriterInsteadOfFailing) {
  testing::TempDir dir;
  sqlite::Database a(dir.path() / "t.db", sqlite::Database::Open::kCreate);
  a.exec("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER)");
  sqlite::Database b(dir.path() / "t.db");
  auto holder = std::make_unique<sqlite::Transaction>(a, sqlite::Transaction::Mode::kWrite);
  a.exec("INSERT INTO t VALUES (1)");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    holder->commit();
  });
  {
    sqlite::Transaction t(b, sqlite::Transaction::Mode::kWrite);  // blocks until a commits
    b.exec("INSERT INTO t VALUES (2)");
    t.commit();
  }
  release.join();
  auto s = b.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int(0), 2);
}

TEST(StoreSqlite, ErrorsNameTheStatement) {
  testing::TempDir dir;
  sqlite::Database db(dir.path() / "t.db", sqlite::Database::Open::kCreate);
  try {
    db.exec("SELECT * FROM missing_table");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("missing_table"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace kix
