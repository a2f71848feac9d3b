#include "store/sqlite.h"

#include <sqlite3.h>

#include <climits>
#include <random>
#include <thread>
#include <utility>

#include "util/error.h"

namespace kix::sqlite {

namespace {

// SQLite's own busy handler sleeps in small steps up to this many
// milliseconds per statement; exec_with_retry loops around it.
constexpr int kBusyTimeoutMs = 5000;

bool is_busy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

ErrorKind kind_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kCorruption;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return ErrorKind::kInternal;
    default:
      return ErrorKind::kIo;
  }
}

}  // namespace

// --- Database ---------------------------------------------------------------

Database::Database(const std::filesystem::path& file, Open mode) : file_(file) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == Open::kCreate) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(ErrorKind::kIo, "cannot open the store database " + file.string() + ": " + msg, {},
                "check that the store directory exists and is writable (--store DIR)");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Keep the -wal file when the last connection closes: every kix command
  // is a short process, and deleting and recreating the file each time costs
  // more than the queries of a typical command.
  int persist_wal = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  // ...but never keep it large: without a limit the file stays as big as
  // the largest transaction ever written (an add of 10,000 resources leaves
  // tens of MB). With one, the checkpoint at close truncates a persistent
  // WAL to nothing and a checkpoint during a long session to this size.
  sqlite3_exec(db_, "PRAGMA journal_size_limit=4194304", nullptr, nullptr, nullptr);
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), file_(std::move(other.file_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    file_ = std::move(other.file_);
  }
  return *this;
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, text.substr(0, 80));
}

int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

void Database::fail(int rc, std::string_view what) const {
  std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string hint;
  ErrorKind kind = kind_of(rc);
  if ((rc & 0xff) == SQLITE_NOTADB) {
    hint =
        "this file is not a SQLite database: point --store (or KIX_STORE) at a kix store "
        "directory, or at an empty one to create a store";
  } else if (kind == ErrorKind::kCorruption) {
    hint = "the store database is damaged; run `kix store verify` and restore from a backup";
  } else if (is_busy(rc)) {
    hint =
        "another kix process has held the store's write lock for a long time; check for a "
        "stuck process";
  }
  throw Error(kind,
              "store database " + file_.string() + ": " + msg + " (in: " + std::string(what) + ")",
              {}, hint);
}

// --- Statement --------------------------------------------------------------

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, sql.substr(0, 80));
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLite binds a null pointer as NULL: an empty view (whose data() may
  // be null) is the empty string.
  static const char kEmpty = 0;
  const char* data = text.empty() ? &kEmpty : text.data();
  int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind(int index, const Hash& hash) {
  int rc = sqlite3_bind_blob(stmt_, index, hash.bytes().data(), Hash::kSize, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
  static const char kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_zeroblob(int index, uint64_t size) {
  int rc = sqlite3_bind_zeroblob64(stmt_, index, size);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

WritableBlob::WritableBlob(Database& db, const char* table, const char* column, int64_t rowid)
    : db_(db) {
  // Outside a transaction the zero-filled row would already be committed,
  // and a crash before the writes would leave it so.
  if (!db.in_transaction()) {
    throw Error(ErrorKind::kInternal, "a BLOB written in place outside a transaction");
  }
  int rc = sqlite3_blob_open(db.handle(), "main", table, column, rowid, 1, &blob_);
  if (rc != SQLITE_OK) {
    blob_ = nullptr;  // SQLite sets it so on failure; said again for the destructor
    db.fail(rc, std::string("opening ") + table + "." + column + " for writing");
  }
}

WritableBlob::~WritableBlob() {
  sqlite3_blob_close(blob_);
}

void WritableBlob::write(uint64_t offset, std::string_view bytes) {
  if (offset > INT_MAX || bytes.size() > static_cast<uint64_t>(INT_MAX) - offset) {
    throw Error(ErrorKind::kInternal, "a BLOB of 2 GB or more cannot be written in place");
  }
  int rc = sqlite3_blob_write(blob_, bytes.data(), static_cast<int>(bytes.size()),
                              static_cast<int>(offset));
  if (rc != SQLITE_OK) db_.fail(rc, "writing a BLOB in place");
}

ReadableBlob::ReadableBlob(Database& db, const char* table, const char* column, int64_t rowid)
    : db_(db) {
  int rc = sqlite3_blob_open(db.handle(), "main", table, column, rowid, 0, &blob_);
  if (rc != SQLITE_OK) {
    blob_ = nullptr;
    db.fail(rc, std::string("opening ") + table + "." + column + " for reading");
  }
}

ReadableBlob::~ReadableBlob() {
  sqlite3_blob_close(blob_);
}

uint64_t ReadableBlob::size() const {
  return static_cast<uint64_t>(sqlite3_blob_bytes(blob_));
}

void ReadableBlob::read(uint64_t offset, void* out, size_t size) {
  if (offset > INT_MAX || size > static_cast<uint64_t>(INT_MAX) - offset) {
    throw Error(ErrorKind::kInternal, "a BLOB of 2 GB or more cannot be read in pieces");
  }
  int rc = sqlite3_blob_read(blob_, out, static_cast<int>(size), static_cast<int>(offset));
  if (rc != SQLITE_OK) db_.fail(rc, "reading a BLOB in pieces");
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(stmt_));
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string_view(static_cast<const char*>(data),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Hash Statement::column_hash(int column) const {
  std::string_view bytes = column_blob(column);
  if (bytes.size() != Hash::kSize) {
    throw Error(ErrorKind::kCorruption,
                "store database " + db_->file().string() + ": a hash column holds " +
                    std::to_string(bytes.size()) +
                    " bytes instead of 32 (in: " + sqlite3_sql(stmt_) + ")",
                {}, "run `kix store verify --repair`");
  }
  return Hash::from_bytes(bytes.data());
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// --- Transactions -----------------------------------------------------------

void exec_with_retry(Database& db, std::string_view sql) {
  std::string text(sql);
  auto deadline = std::chrono::steady_clock::now() + kMaxLockWait;
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    int rc = sqlite3_exec(db.handle(), text.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if (!is_busy(rc) || std::chrono::steady_clock::now() > deadline) db.fail(rc, text);
    // The busy handler already waited; add a short random pause so that
    // several waiting writers do not wake in lock step.
    std::this_thread::sleep_for(
        std::chrono::milliseconds(1 + jitter() % (attempt < 10 ? 20 : 200)));
  }
}

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
  if (db_.in_transaction()) {
    throw Error(ErrorKind::kInternal,
                "a transaction was started inside another one on " + db_.file().string());
  }
  exec_with_retry(db_, mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec_with_retry(db_, "COMMIT");
  open_ = false;
}

}  // namespace kix::sqlite
