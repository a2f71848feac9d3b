// A thin RAII layer over SQLite: one connection, prepared statements, and
// transactions that wait for other writers instead of failing with
// "database is locked". Nothing else in kix calls the sqlite3 C API.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/hash.h"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_blob;

namespace kix::sqlite {

// How long a writer waits for the write lock before giving up with a clear
// error. Writers hold the lock only while inserting rows (never while
// parsing or compressing), so reaching this means a stuck process.
inline constexpr std::chrono::seconds kMaxLockWait{600};

class Database;

// A prepared statement. Bind parameters are 1-based, columns 0-based, as in
// SQLite. Errors throw kix::Error(kIo or kCorruption) naming the SQL.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const Hash& hash);  // as a 32-byte BLOB
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  // A BLOB of `size` zero bytes, which SQLite stores without building it
  // in memory when it ends the row's record (later columns NULL);
  // WritableBlob fills it in afterwards.
  Statement& bind_zeroblob(int index, uint64_t size);

  // Runs one step: true when a row is available, false when done.
  bool step();
  // Steps until done (for INSERT/UPDATE/DELETE).
  void run();
  // Clears bindings and rewinds, ready for the next bind/step.
  void reset();

  int64_t column_int(int column) const;
  std::string column_text(int column) const;
  // Valid until the next step/reset.
  std::string_view column_blob(int column) const;
  // A 32-byte BLOB column; throws kCorruption when it is not 32 bytes.
  Hash column_hash(int column) const;
  bool column_is_null(int column) const;

 private:
  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection, with a busy timeout so that writers queue up.
class Database {
 public:
  enum class Open {
    kExisting,  // the file must exist (kIo otherwise); never created
    kCreate,    // created when missing
  };
  explicit Database(const std::filesystem::path& file, Open mode = Open::kExisting);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Executes one or more statements without results.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(*this, sql); }
  int64_t changes() const;
  // The rowid of the last row inserted on this connection.
  int64_t last_insert_rowid() const;
  // True inside BEGIN ... COMMIT.
  bool in_transaction() const;

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& file() const { return file_; }

  // Throws kix::Error for the result code `rc` of an operation on this
  // connection, with SQLite's message and `what` as context.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// A BLOB column of one row open for writing in place (sqlite3_blob): how a
// large value bound as a zeroblob is filled in pieces, so that neither kix
// nor a record buffer of SQLite's holds it whole (its pages pass through
// the page cache as any write's do). Only inside the transaction that
// inserted the row (kInternal otherwise); errors throw as Statement's do.
class WritableBlob {
 public:
  WritableBlob(Database& db, const char* table, const char* column, int64_t rowid);
  ~WritableBlob();
  WritableBlob(const WritableBlob&) = delete;
  WritableBlob& operator=(const WritableBlob&) = delete;

  // Overwrites bytes at `offset`; the BLOB keeps its size (kIo beyond it).
  void write(uint64_t offset, std::string_view bytes);

 private:
  Database& db_;
  sqlite3_blob* blob_ = nullptr;
};

// A BLOB column of one row open for reading in pieces (sqlite3_blob): how
// a large value is read without SQLite first copying it whole into a
// record buffer of its own, as a SELECT of the column does. Sees the
// database as of the read transaction it is opened in (or one of its
// own); errors throw as Statement's do.
class ReadableBlob {
 public:
  ReadableBlob(Database& db, const char* table, const char* column, int64_t rowid);
  ~ReadableBlob();
  ReadableBlob(const ReadableBlob&) = delete;
  ReadableBlob& operator=(const ReadableBlob&) = delete;

  uint64_t size() const;
  // Copies `size` bytes from `offset` to `out` (kIo beyond the end).
  void read(uint64_t offset, void* out, size_t size);

 private:
  Database& db_;
  sqlite3_blob* blob_ = nullptr;
};

// A transaction that rolls back unless commit() is called. kWrite starts
// with BEGIN IMMEDIATE, taking the write lock up front (so a transaction
// never has to upgrade a read lock, the classic source of SQLITE_BUSY that
// no timeout can fix) and retrying while another writer holds it. kRead is
// a consistent snapshot (WAL readers never wait for writers).
class Transaction {
 public:
  enum class Mode { kRead, kWrite };

  Transaction(Database& db, Mode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  bool open_ = false;
};

// Runs `sql` (BEGIN IMMEDIATE, COMMIT, PRAGMA journal_mode...) retrying with
// backoff while SQLite answers SQLITE_BUSY, up to kMaxLockWait.
void exec_with_retry(Database& db, std::string_view sql);

}  // namespace kix::sqlite
