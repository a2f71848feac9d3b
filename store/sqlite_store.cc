#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "manifest/cluster_name.h"
#include "manifest/merkle.h"
#include "manifest/secrets.h"
#include "store/archive.h"
#include "store/blob_writer.h"
#include "store/integrity_check.h"
#include "store/node_writer.h"
#include "store/root_encoding.h"
#include "store/schema.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/external_sort.h"
#include "util/spill_heap.h"

namespace kix {

namespace fs = std::filesystem;
using sqlite::Transaction;

// --- Opening ------------------------------------------------------------------

namespace {

constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};

Error refused(ErrorKind kind, const fs::path& file, const std::string& why) {
  return Error(kind, file.string() + " " + why, {},
               "kix never writes into a file it did not create: point --store (or KIX_STORE) at a "
               "kix store or at a new directory; if this was a kix store, restore it from a "
               "backup");
}

// Checks the first bytes of an existing database file before SQLite sees
// it: SQLite treats an empty file as a new database and would write a
// store into whatever is there.
void check_database_header(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open", file, errno);
  char header[16];
  ssize_t n = ::read(fd, header, sizeof header);
  int read_errno = errno;
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  if (n < 0) throw io_error("cannot read", file, read_errno);
  if (st.st_size == 0)
    throw refused(ErrorKind::kCorruption, file, "is empty: it is not a kix store");
  if (n < static_cast<ssize_t>(sizeof header) ||
      std::string_view(header, sizeof header) != kSqliteMagic) {
    if (st.st_size < static_cast<off_t>(sizeof header)) {
      throw refused(ErrorKind::kCorruption, file,
                    "is " + std::to_string(st.st_size) + (st.st_size == 1 ? " byte" : " bytes") +
                        " long: a truncated file, not a kix store");
    }
    throw refused(ErrorKind::kInvalidInput, file, "is not a SQLite database, so not a kix store");
  }
}

// Builds a complete new database beside `file` and links it into place, so
// that `file`, once it exists, is always a whole store. Returns when `file`
// exists (created here or, in a race, by another process).
void create_database(const fs::path& file) {
  fs::path tmp = temporary_sibling(file, "new");
  ::unlink(tmp.c_str());
  try {
    {
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) throw io_error("cannot create", tmp, errno);
      ::close(fd);
      sqlite::Database db(tmp, sqlite::Database::Open::kExisting);
      // No journal file beside the temporary one: nothing else sees it.
      db.exec("PRAGMA journal_mode=OFF");
      db.exec("PRAGMA synchronous=FULL");
      db.exec("BEGIN");
      db.exec(schema_sql());
      db.exec("COMMIT");
    }
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      int err = errno;
      if (fd >= 0) ::close(fd);
      throw io_error("cannot write", tmp, err);
    }
    ::close(fd);
    // link(2) fails rather than replace: if another process created the
    // store meanwhile, its store is the one.
    if (::link(tmp.c_str(), file.c_str()) != 0 && errno != EEXIST) {
      throw io_error("cannot create", file, errno);
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  ::unlink(tmp.c_str());
  sync_directory(file.parent_path());
}

bool table_exists(sqlite::Database& db, std::string_view name) {
  auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

int64_t pragma_int(sqlite::Database& db, std::string_view pragma) {
  auto s = db.prepare(std::string("PRAGMA ") + std::string(pragma));
  return s.step() ? s.column_int(0) : 0;
}

}  // namespace

SqliteStore::SqliteStore(fs::path dir, sqlite::Database db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

std::unique_ptr<SqliteStore> SqliteStore::open(const fs::path& dir, SecretKeyring* keys) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      Error e = io_error("cannot create the store directory", dir, errno);
      throw Error(ErrorKind::kIo, e.message(), {},
                  "choose another directory with --store DIR or KIX_STORE");
    }
  }
  fs::path file = dir / "store.db";
  if (!fs::exists(file, ec)) {
    if (fs::exists(dir / "store.db-wal", ec)) {
      throw refused(ErrorKind::kCorruption, file,
                    "is missing but its write-ahead log store.db-wal is there: the store lost its "
                    "database");
    }
    create_database(file);
  }
  check_database_header(file);
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(dir, sqlite::Database(file, sqlite::Database::Open::kExisting)));
  store->check_format_and_upgrade(keys);
  store->prepare_connection();
  return store;
}

void SqliteStore::prepare_connection() {
  // WAL: readers never block the writer and the writer never blocks
  // readers. synchronous=NORMAL is durable against a crashed process (the
  // guarantee kix makes); a power loss may drop the last commits but never
  // corrupts the database.
  sqlite::exec_with_retry(db_, "PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  // Read through a memory map: loading a root of 10,000 nodes or a few
  // hundred blobs then costs page faults, not a read() per page.
  db_.exec("PRAGMA mmap_size=1073741824");
  // Deleted and overwritten content is zeroed, not left in free pages: a
  // Secret's sealed values, once gone, are gone from the file too.
  db_.exec("PRAGMA secure_delete=ON");
}

std::unique_ptr<SqliteStore> SqliteStore::open_existing(const fs::path& dir) {
  fs::path file = dir / "store.db";
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    throw Error(ErrorKind::kNotFound, "there is no store in " + dir.string(), {},
                "name the store with --store DIR or KIX_STORE");
  }
  check_database_header(file);
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(dir, sqlite::Database(file, sqlite::Database::Open::kExisting)));
  store->check_format_and_upgrade(nullptr, /*upgrade=*/false);
  return store;
}

void SqliteStore::check_format_and_upgrade(SecretKeyring* keys, bool upgrade) {
  const fs::path file = database_file();
  int64_t application_id = pragma_int(db_, "application_id");
  // Version 1 stores have no application id; they are recognised by their
  // schema_version table.
  if (application_id != kStoreApplicationId &&
      (application_id != 0 || !table_exists(db_, "schema_version"))) {
    throw refused(ErrorKind::kInvalidInput, file,
                  "is a SQLite database of another program, not a kix store");
  }
  auto read_version = [&] {
    auto s = db_.prepare("SELECT version FROM schema_version");
    if (!s.step()) throw refused(ErrorKind::kCorruption, file, "has no format version");
    return s.column_int(0);
  };
  int64_t version = read_version();
  if (version > kSchemaVersion) {
    throw Error(ErrorKind::kConflict,
                "the store " + dir_.string() + " has format version " + std::to_string(version) +
                    "; this kix reads versions 1 to " + std::to_string(kSchemaVersion),
                {}, "use a newer kix for this store");
  }
  if (version == kSchemaVersion) return;
  if (version < 1) throw refused(ErrorKind::kCorruption, file, "has an invalid format version");
  if (!upgrade) {
    throw Error(ErrorKind::kConflict,
                "the store " + dir_.string() + " has format version " + std::to_string(version) +
                    ", older than this kix's " + std::to_string(kSchemaVersion),
                {}, "run any kix store command (kix store verify) to upgrade it in place");
  }
  Transaction t(db_, Transaction::Mode::kWrite);
  version = read_version();  // another process may have upgraded it meanwhile
  if (version == kSchemaVersion) return;
  db_.exec("PRAGMA secure_delete=ON");  // plaintext the upgrade replaces is zeroed
  // The steps copy whole tables: a damaged page would fail them part-way
  // with SQLite's bare error. Damaged indexes are rebuilt first (as
  // `verify --repair` would); a damaged table is refused, unchanged.
  IntegrityReport integrity = check_integrity(db_);
  if (integrity.only_indexes) {
    db_.exec("REINDEX");
    integrity = check_integrity(db_);
  }
  const std::vector<std::string>& problems = integrity.problems;
  if (!problems.empty()) {
    throw Error(ErrorKind::kCorruption,
                "the store " + dir_.string() + " (format version " + std::to_string(version) +
                    ") is damaged and cannot be upgraded: " + problems.front(),
                {},
                "nothing was changed; with the kix that wrote it, run `kix store verify --repair`, "
                "or `kix store export` what still reads and import that into a new store");
  }
  for (const SchemaUpgrade& step : schema_upgrades()) {
    if (step.from == version) {
      db_.exec(step.sql);
      if (step.seals_plaintext_secrets) seal_plaintext_secrets(keys);
      version = read_version();
    }
  }
  if (version != kSchemaVersion) {
    throw Error(ErrorKind::kInternal,
                "no upgrade step leads from format version " + std::to_string(version));
  }
  t.commit();
  // Only the process that ran the steps gets here. The upgrade to version 6 rewrites the nodes and
  // refs tables into about a third of their space; give the rest back to the file system now. Best
  // effort: when another process holds the store, later adds reuse the
  // free pages instead.
  try {
    db_.exec("VACUUM");
  } catch (const Error&) {
  }
}

std::optional<std::string> SqliteStore::permission_problem() const {
  std::vector<std::string> open;
  struct stat st {};
  if (::stat(dir_.c_str(), &st) == 0 && (st.st_mode & 077) != 0) open.push_back(dir_.string());
  for (const char* name : {"store.db", "store.db-wal", "store.db-shm"}) {
    fs::path file = dir_ / name;
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) open.push_back(file.string());
  }
  if (open.empty()) return std::nullopt;
  std::string list;
  for (const auto& p : open) list += (list.empty() ? "" : ", ") + p;
  return "the store can be read by other users (" + list + "); run: chmod 700 " + dir_.string() +
         " && chmod 600 " + (dir_ / "store.db*").string();
}

void SqliteStore::seal_plaintext_secrets(SecretKeyring* keys) {
  std::vector<std::pair<Hash, std::string>> plaintext;
  {
    auto s = db_.prepare("SELECT hash, raw_size, data, dict FROM blobs NOT INDEXED");
    while (s.step()) {
      Hash h = s.column_hash(0);
      std::string raw;
      try {
        raw = decompress_blob(h, s.column_blob(2), static_cast<size_t>(s.column_int(1)),
                              s.column_int(3));
      } catch (const Error&) {
        continue;  // a damaged blob stays as it is; verify names it
      }
      // Cheap test first: only a blob naming the kind can be a Secret.
      if (!mentions_secret(raw)) continue;
      Json value = Json::parse(raw, nullptr, false);
      if (is_secret(value) && has_secret_values(value) && !is_hash_form(value)) {
        plaintext.emplace_back(h, std::move(raw));
      }
    }
  }
  if (plaintext.empty()) return;
  if (keys == nullptr) {
    throw Error(ErrorKind::kNotFound,
                "the store " + dir_.string() + " holds " + std::to_string(plaintext.size()) +
                    " Secret(s) in plaintext (kix 0.1.0); upgrading it seals them, which needs "
                    "the secret key",
                {}, "open it with kix, which creates the key on first need (docs/secrets.md)");
  }
  const SecretKey& key = keys->key_for_sealing();
  auto update = db_.prepare("UPDATE blobs SET raw_size = ?, data = ?, dict = 0 WHERE hash = ?");
  BlobWriter writer(*this);
  for (auto& [hash, raw] : plaintext) {
    // The blob keeps its hash (roots and generations name it); its bytes
    // become the hash form, and the envelope is bound to the same hash.
    SecretSplit split = split_secret(Json::parse(raw), key, hash);
    std::string hash_form = canonical_json(split.hash_form);
    update.bind(1, static_cast<int64_t>(hash_form.size()))
        .bind_blob(2, codec_.compress(hash_form))
        .bind(3, hash);
    update.run();
    writer.put_sealed(hash, SealedSecret{key.id(), std::move(split.envelope), true});
    raw.assign(raw.size(), '\0');
  }
}

std::string SqliteStore::describe() const {
  return "store " + dir_.string();
}

// --- Snapshots ----------------------------------------------------------------

namespace {

class SqliteSnapshot : public ReadSnapshot {
 public:
  explicit SqliteSnapshot(sqlite::Database& db) : transaction_(db, Transaction::Mode::kRead) {}

 private:
  Transaction transaction_;
};

// Inside a transaction already (a snapshot or a write), reads see its state.
class NestedSnapshot : public ReadSnapshot {};

}  // namespace

std::unique_ptr<ReadSnapshot> SqliteStore::snapshot() {
  if (db_.in_transaction()) return std::make_unique<NestedSnapshot>();
  return std::make_unique<SqliteSnapshot>(db_);
}

// --- Blobs --------------------------------------------------------------------

BlobWriter::BlobWriter(SqliteStore& store)
    : store_(store),
      exists_(store.db_.prepare("SELECT 1 FROM blobs WHERE hash = ?")),
      insert_(store.db_.prepare(
          "INSERT OR IGNORE INTO blobs (hash, raw_size, data, dict) VALUES (?, ?, ?, ?)")),
      replace_(store.db_.prepare(
          "INSERT OR REPLACE INTO blobs (hash, raw_size, data, dict) VALUES (?, ?, ?, ?)")),
      sealed_(store.db_.prepare(
          "INSERT OR IGNORE INTO secrets (blob, key_id, sealed, legacy) VALUES (?, ?, ?, ?)")) {}

void BlobWriter::put_sealed(const Hash& blob, const SealedSecret& sealed) {
  sealed_.bind(1, blob)
      .bind(2, sealed.key_id)
      .bind_blob(3, sealed.envelope)
      .bind(4, int64_t{sealed.legacy});
  sealed_.run();
}

bool BlobWriter::has(const Hash& hash) {
  exists_.bind(1, hash);
  bool stored = exists_.step();
  exists_.reset();
  return stored;
}

size_t BlobWriter::put(const Hash& hash, std::string_view canonical, std::string compressed,
                       int64_t dictionary) {
  if (has(hash)) return 0;
  return write(insert_, hash, canonical, std::move(compressed), dictionary);
}

size_t BlobWriter::put_compressed(const Hash& hash, size_t raw_size, std::string_view compressed,
                                  int64_t dictionary) {
  if (has(hash)) return 0;
  return insert(insert_, hash, raw_size, compressed, dictionary);
}

size_t BlobWriter::replace(const Hash& hash, std::string_view canonical) {
  return write(replace_, hash, canonical, {}, 0);
}

size_t BlobWriter::write(sqlite::Statement& s, const Hash& hash, std::string_view canonical,
                         std::string compressed, int64_t dictionary) {
  if (compressed.empty()) {
    int64_t id = 0;
    const ZstdDictionary* dict = store_.latest_dictionary(id);
    compressed =
        dict ? store_.codec_.compress(canonical, *dict) : store_.codec_.compress(canonical);
    dictionary = id;
  }
  return insert(s, hash, canonical.size(), compressed, dictionary);
}

size_t BlobWriter::insert(sqlite::Statement& s, const Hash& hash, size_t raw_size,
                          std::string_view compressed, int64_t dictionary) {
  s.bind(1, hash)
      .bind(2, static_cast<int64_t>(raw_size))
      .bind_blob(3, compressed)
      .bind(4, dictionary);
  s.run();
  return store_.db_.changes() == 1 ? compressed.size() : 0;
}

// --- Adding -------------------------------------------------------------------

namespace {

// `listed[i]`, when `listed` is not empty, says that resource i's node is
// one the store holds with its refs (the previous generation lists it): a
// next generation inserts only the others.
void insert_nodes_and_refs(sqlite::Database& db, const GraphView& graph,
                           const std::pmr::vector<bool>& listed, AddResult& result) {
  NodeWriter writer(db);
  const std::span<const Hash> nodes = graph.nodes();
  SpillHeap* memory = graph.working_memory();
  std::pmr::memory_resource* resource =
      memory != nullptr ? memory : std::pmr::get_default_resource();
  // The store's number of each manifest's node, 0 until known: one number
  // per manifest, not a map of hashes, so a large add stays small.
  std::pmr::vector<int64_t> ids(graph.size(), 0, resource);
  if (memory != nullptr) memory->touch(graph.size() * sizeof(int64_t) / 4096);
  std::pmr::vector<size_t> inserted(resource);
  for (size_t i = 0; i < graph.size(); ++i) {
    if (memory != nullptr) memory->touch();
    if (!listed.empty() && listed[i]) continue;
    NodeWriter::Put put = writer.put(nodes[i], graph.blob(i), graph.id(i));
    ids[i] = put.id;
    if (put.added) ++result.new_nodes;
    if (graph.ref_count(i) > 0) inserted.push_back(i);
  }
  // A worklist: a target the previous generation lists but the store lost
  // (damage verify reports) is stored again, with its own references.
  for (size_t w = 0; w < inserted.size(); ++w) {
    size_t i = inserted[w];
    for (size_t k = 0; k < graph.ref_count(i); ++k) {
      size_t to = graph.ref(i, k);
      if (ids[to] == 0) ids[to] = writer.find(nodes[to]);
      if (ids[to] == 0) {
        NodeWriter::Put put = writer.put(nodes[to], graph.blob(to), graph.id(to));
        ids[to] = put.id;
        if (put.added) ++result.new_nodes;
        if (graph.ref_count(to) > 0) inserted.push_back(to);
      }
      writer.put_ref(ids[i], ids[to], graph.ref_reason(i, k));
    }
  }
}

// A root is stored as a delta against `base` (the cluster's previous
// generation) when that is much smaller than the full list and the chain
// of deltas to read stays short.
constexpr int kMaxDeltaChain = 16;

// Reads on a connection through SQLite's page cache instead of its memory
// map, while it lives: what a read maps stays mapped, and a root's node
// list is 32 bytes a resource, where the page cache is bounded. Restores
// the connection's map size (or fails to, harmlessly: reads stay
// correct either way).
class UnmappedReads {
 public:
  explicit UnmappedReads(sqlite::Database& db) : db_(db), limit_(pragma_int(db, "mmap_size")) {
    if (limit_ > 0) db_.exec("PRAGMA mmap_size=0");
  }
  ~UnmappedReads() {
    if (limit_ <= 0) return;
    try {
      db_.exec("PRAGMA mmap_size=" + std::to_string(limit_));
    } catch (...) {
    }
  }
  UnmappedReads(const UnmappedReads&) = delete;
  UnmappedReads& operator=(const UnmappedReads&) = delete;

 private:
  sqlite::Database& db_;
  int64_t limit_;
};

// The node list of root `hash` into `out` (a std::vector, or a
// std::pmr::vector in an add's working memory `memory`), and its cluster;
// nullopt when the store has no such root. Follows the chain of bases down
// to a full list, then applies the deltas back up, each into a new list.
// The full list is read in pieces straight into `out`: a SELECT of the
// column had SQLite copy it whole first (6.4 MB at 200,000 resources).
// `depth`, when not null, is set to the number of deltas applied. Throws
// kCorruption for a chain that is too long or broken, or a damaged list.
template <class Nodes>
std::optional<std::string> read_root_nodes(sqlite::Database& db, const Hash& hash, Nodes& out,
                                           SpillHeap* memory, int* depth) {
  static_assert(sizeof(Hash) == Hash::kSize && std::is_trivially_copyable_v<Hash>);
  auto s = db.prepare("SELECT rowid, cluster, base FROM roots WHERE hash = ?");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  std::string cluster = s.column_text(1);
  std::vector<std::string> deltas;
  Hash at = hash;
  int64_t rowid = s.column_int(0);
  while (!s.column_is_null(2)) {
    if (deltas.size() > 4 * static_cast<size_t>(kMaxDeltaChain)) {
      throw Error(ErrorKind::kCorruption,
                  "root " + hash.hex() + " is a chain of more than " +
                      std::to_string(deltas.size()) + " deltas",
                  {}, "run `kix store verify`");
    }
    {
      sqlite::ReadableBlob delta(db, "roots", "nodes", rowid);
      std::string& bytes = deltas.emplace_back(delta.size(), '\0');
      delta.read(0, bytes.data(), bytes.size());
    }
    Hash base = s.column_hash(2);
    s.reset();
    s.bind(1, base);
    if (!s.step()) {
      throw Error(ErrorKind::kCorruption,
                  "root " + at.hex() + " is stored as a delta against root " + base.hex() +
                      ", which is missing",
                  {}, "run `kix store verify` to see what it affects");
    }
    at = base;
    rowid = s.column_int(0);
  }
  s.reset();
  // Only for an add (other commands read a root or two, and gc many,
  // which would drop and fault the whole map back in each time).
  std::optional<UnmappedReads> unmapped;
  if (memory != nullptr) unmapped.emplace(db);
  sqlite::ReadableBlob full(db, "roots", "nodes", rowid);
  const uint64_t bytes = full.size();
  if (bytes % Hash::kSize != 0) {
    throw Error(ErrorKind::kCorruption,
                "the node list of root " + at.hex() + " is " + std::to_string(bytes) +
                    " bytes, not a multiple of 32",
                {}, "run `kix store verify`");
  }
  // Grown a piece at a time, so that working memory can give back what
  // was written before the rest is (a resize to the whole list wrote all
  // of it at once).
  out.clear();
  out.reserve(bytes / Hash::kSize);
  constexpr uint64_t kPiece = 64 * 1024;  // a multiple of Hash::kSize
  for (uint64_t offset = 0; offset < bytes; offset += kPiece) {
    const uint64_t size = std::min(kPiece, bytes - offset);
    const size_t first = out.size();
    out.resize(first + size / Hash::kSize);
    full.read(offset, out.data() + first, size);
    if (memory != nullptr) memory->touch(size / 4096);
  }
  for (auto delta = deltas.rbegin(); delta != deltas.rend(); ++delta) {
    Nodes next(out.get_allocator());
    resize_by_pages(next, applied_size(out.size(), *delta), memory);
    apply_delta(std::span<const Hash>(out), *delta, std::span<Hash>(next), memory);
    out = std::move(next);
  }
  if (depth != nullptr) *depth = static_cast<int>(deltas.size());
  return cluster;
}

// read_root_nodes for a list searched and merged as sorted: one that is
// not (damage verify reports) is sorted here. False: no such root.
bool read_sorted_root_nodes(sqlite::Database& db, const Hash& hash, std::pmr::vector<Hash>& out,
                            SpillHeap* memory, int* depth) {
  if (!read_root_nodes(db, hash, out, memory, depth)) return false;
  if (!std::is_sorted(out.begin(), out.end())) {
    // A delta against the sorted copy would not apply to the stored list:
    // at the chain's limit, the next root is stored in full.
    std::sort(out.begin(), out.end());
    if (depth != nullptr) *depth = kMaxDeltaChain;
  }
  return true;
}

// A full node list (no base: a cluster's first generation, an add without
// a cluster, an import; or a delta that would not be small, or a chain at
// its limit) is written into the row in pieces from the sorted list the
// graph holds: SQLite's own copy of the value was 1.6 MB at 50,000
// resources, at an add's peak. `sorted`: sorted, each hash once.
void insert_full_root(sqlite::Database& db, const Hash& root, const std::string& cluster,
                      std::span<const Hash> sorted, SpillHeap* memory) {
  auto insert = db.prepare(
      "INSERT OR IGNORE INTO roots (hash, cluster, count, nodes, base) VALUES (?, ?, ?, ?, NULL)");
  insert.bind(1, root)
      .bind(2, cluster)
      .bind(3, static_cast<int64_t>(sorted.size()))
      .bind_zeroblob(4, sorted.size() * Hash::kSize);
  insert.run();
  if (db.changes() == 0) return;  // stored already
  sqlite::WritableBlob blob(db, "roots", "nodes", db.last_insert_rowid());
  // The stored form (pack_hashes): the sorted hashes back to back.
  constexpr size_t kPiece = 2048;
  std::string piece;
  piece.reserve(kPiece * Hash::kSize);
  uint64_t offset = 0;
  for (size_t k = 0; k < sorted.size(); k += kPiece) {
    piece.clear();
    for (size_t j = k; j < std::min(sorted.size(), k + kPiece); ++j) {
      piece.append(reinterpret_cast<const char*>(sorted[j].bytes().data()), Hash::kSize);
    }
    blob.write(offset, piece);
    offset += piece.size();
    if (memory != nullptr) memory->touch(piece.size() / 4096);
  }
}

// The root a new one may be stored as a delta against: the cluster's
// current generation.
struct DeltaBase {
  Hash hash;
  std::span<const Hash> nodes;  // sorted, each once
  int depth = 0;                // deltas it is stored as
};

// `sorted`: the root's node hashes, sorted, each once; in `memory` (and
// the base's too) when not null.
void insert_root(sqlite::Database& db, const Hash& root, const std::string& cluster,
                 std::span<const Hash> sorted, const std::optional<DeltaBase>& base,
                 SpillHeap* memory) {
  if (!base || base->hash == root || base->depth >= kMaxDeltaChain) {
    insert_full_root(db, root, cluster, sorted, memory);
    return;
  }
  const size_t count = sorted.size();
  std::string delta = pack_delta(base->nodes, sorted, memory, count * Hash::kSize / 4);
  if (delta.empty()) {
    std::string().swap(delta);
    insert_full_root(db, root, cluster, sorted, memory);
    return;
  }
  auto insert = db.prepare(
      "INSERT OR IGNORE INTO roots (hash, cluster, count, nodes, base) VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, root)
      .bind(2, cluster)
      .bind(3, static_cast<int64_t>(count))
      .bind_blob(4, delta)
      .bind(5, base->hash);
  insert.run();
}

// Appends generation max+1 of g.cluster (inside a write transaction, so
// two writers can never take the same number) and sets g.number.
void insert_generation(sqlite::Database& db, Generation& g) {
  auto next = db.prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM generations WHERE cluster = ?");
  next.bind(1, g.cluster);
  next.step();
  g.number = next.column_int(0);
  auto insert = db.prepare(
      "INSERT INTO generations (cluster, number, root, time, message, source_revision) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, g.cluster)
      .bind(2, g.number)
      .bind(3, g.root)
      .bind(4, g.time)
      .bind(5, g.message)
      .bind(6, g.source_revision);
  insert.run();
}

std::string root_cluster_of(const AddOptions& options) {
  if (options.root_cluster) return *options.root_cluster;
  return options.cluster.value_or("");
}

// Training needs a few hundred samples to find what manifests share; a
// store smaller than this compresses each blob on its own.
constexpr size_t kMinTrainingBlobs = 400;
std::string_view hash_bytes(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.bytes().data()), Hash::kSize);
}

// Which of the graph's resources have a node that `stored` (sorted) lists,
// in `resource`. With working memory, by one merge of the two lists in
// hash order, the graph's node hashes sorted in runs through a file: a
// binary search per resource in a list that spilled faulted on nearly
// every probe (a next add of 200,000 took five times as long).
std::pmr::vector<bool> listed_nodes(const GraphView& graph, std::span<const Hash> stored,
                                    std::pmr::memory_resource* resource) {
  const size_t n = graph.size();
  std::pmr::vector<bool> listed(n, false, resource);
  if (stored.empty()) return listed;
  const std::span<const Hash> nodes = graph.nodes();
  SpillHeap* memory = graph.working_memory();
  if (memory == nullptr) {
    for (size_t i = 0; i < n; ++i) {
      listed[i] = std::binary_search(stored.begin(), stored.end(), nodes[i]);
    }
    return listed;
  }
  constexpr size_t kHashesPerPage = 4096 / Hash::kSize;
  ExternalSorter sorter(memory->budget() / 4, memory->directory());
  for (size_t i = 0; i < n; ++i) {
    if (i % kHashesPerPage == 0) memory->touch();
    sorter.add(hash_bytes(nodes[i]), static_cast<uint32_t>(i));
  }
  size_t at = 0;
  sorter.finish([&](std::string_view key, uint32_t i) {
    const Hash node = Hash::from_bytes(key.data());
    while (at < stored.size() && stored[at] < node) {
      if (++at % kHashesPerPage == 0) memory->touch();
    }
    listed[i] = at < stored.size() && stored[at] == node;
  });
  return listed;
}

// zstd's default dictionary size; stored once, it costs nothing next to
// the ~4 KB it saves per hundred blobs.
constexpr size_t kDictionaryCapacity = 112640;
// Training time grows with the sample; a few MB spread over the whole
// input captures the shared structure (kinds, labels, probes) as well.
constexpr size_t kMaxTrainingBytes = 2u << 20;

}  // namespace

AddResult SqliteStore::add(const GraphView& graph, const AddOptions& options) {
  PreparedAdd prepared = prepare_add(graph, options);
  return commit_add(prepared);
}

PreparedAdd SqliteStore::prepare_add(const Graph& graph, const AddOptions& options) {
  auto view = std::make_unique<ManifestGraphView>(graph);
  PreparedAdd prepared = prepare_add(*view, options);
  prepared.own_view = std::move(view);
  return prepared;
}

// Compression happens here, before the write lock, so that concurrent
// writers wait only for each other's inserts.
PreparedAdd SqliteStore::prepare_add(const GraphView& graph, const AddOptions& options) {
  if (options.cluster) check_cluster_name(*options.cluster);
  if (options.root_cluster && !options.root_cluster->empty()) {
    check_cluster_name(*options.root_cluster);
  }
  if (graph.size() > UINT32_MAX) {
    throw Error(ErrorKind::kInvalidInput,
                std::to_string(graph.size()) + " resources are more than one add can take", {},
                "add them as several clusters");
  }
  SpillHeap* memory = graph.working_memory();
  std::pmr::memory_resource* resource =
      memory != nullptr ? memory : std::pmr::get_default_resource();
  PreparedAdd prepared(resource);
  prepared.graph = &graph;
  prepared.options = options;
  Transaction t(db_, Transaction::Mode::kRead);
  // The nodes of the cluster's current generation are stored, and so are
  // their blobs (gc never takes a current generation): a next generation
  // looks up only the blobs of what changed.
  // The root's own sorted list, searched in place (a hash set of 50,000
  // nodes took 3.7 MB more), in the working memory, and kept for
  // commit_add's delta.
  const std::pmr::vector<bool>& listed = prepared.listed;
  if (options.cluster) {
    if (auto current = current_generation(*options.cluster)) {
      if (read_sorted_root_nodes(db_, current->root, prepared.stored_nodes, memory,
                                 &prepared.stored_depth)) {
        prepared.stored_root = current->root;
        prepared.listed = listed_nodes(graph, prepared.stored_nodes, resource);
      }
    }
  }
  // Each distinct blob once, taken from its first manifest in input order:
  // the blobs sorted (equal ones in input order), in runs through a file
  // when the graph has working memory that may spill, since a sort of
  // positions by blob would read the graph at random.
  const size_t n = graph.size();
  std::pmr::vector<bool> first(n, false, resource), stored(n, false, resource);
  {
    std::string group_blob;
    std::vector<uint32_t> group;  // manifests with one blob, in input order
    auto pick_one = [&] {
      // A blob one of the current generation's nodes holds is stored; it
      // is represented by the first such manifest.
      uint32_t pick = group.front();
      for (uint32_t j : group) {
        if (!listed.empty() && listed[j]) {
          pick = j;
          stored[pick] = true;
          break;
        }
      }
      first[pick] = true;
      group.clear();
    };
    auto next = [&](std::string_view blob, uint32_t i) {
      if (!group.empty() && blob != group_blob) pick_one();
      if (group.empty()) group_blob.assign(blob);
      group.push_back(i);
    };
    if (memory != nullptr) {
      ExternalSorter sorter(memory->budget() / 4, memory->directory());
      for (size_t i = 0; i < n; ++i) {
        sorter.add(hash_bytes(graph.blob(i)), static_cast<uint32_t>(i));
      }
      sorter.finish([&](std::string_view blob, uint32_t i) {
        memory->touch();
        next(blob, i);
      });
    } else {
      // A graph held in memory whole (a compiled cluster): positions
      // sorted by blob, 4 bytes each, ties in input order.
      std::vector<uint32_t> order(n);
      std::iota(order.begin(), order.end(), 0u);
      std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        const Hash& x = graph.blob(a);
        const Hash& y = graph.blob(b);
        return x != y ? x < y : a < b;
      });
      for (uint32_t i : order) next(hash_bytes(graph.blob(i)), i);
    }
    if (!group.empty()) pick_one();
  }
  size_t fresh = 0;
  for (size_t i = 0; i < n; ++i) fresh += first[i] && !stored[i] ? 1 : 0;
  prepared.blobs.reserve(fresh);
  prepared.stored_blobs.reserve(n - fresh);
  for (size_t i = 0; i < n; ++i) {
    if (!first[i]) continue;
    if (stored[i]) {
      prepared.stored_blobs.push_back(static_cast<uint32_t>(i));
    } else {
      prepared.blobs.push_back(PreparedAdd::Blob{static_cast<uint32_t>(i), false, 0, 0});
    }
  }
  auto exists = db_.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  std::pmr::vector<PreparedAdd::Blob*> missing(resource);
  for (auto& blob : prepared.blobs) {
    exists.bind(1, graph.blob(blob.manifest));
    if (!exists.step()) missing.push_back(&blob);
    exists.reset();
  }
  if (missing.empty()) return prepared;
  const ZstdDictionary* dictionary =
      dictionary_for_new_blobs(prepared, missing, prepared.dictionary);
  std::string fetched;
  std::string compressed;
  // Reserved once: grown by doubling, the buffer could take twice the budget.
  uint64_t raw_total = 0;
  for (const PreparedAdd::Blob* blob : missing) {
    raw_total += graph.canonical_size(blob->manifest);
  }
  prepared.held.reserve(std::min<uint64_t>(raw_total, options.memory_budget_bytes));
  for (PreparedAdd::Blob* blob : missing) {
    std::string_view raw;
    if (std::optional<std::string_view> held = graph.held_canonical(blob->manifest)) {
      raw = *held;
    } else {
      fetched = canonical_bytes(graph, blob->manifest, options.blob_source);
      raw = fetched;
    }
    compressed = dictionary ? codec_.compress(raw, *dictionary) : codec_.compress(raw);
    blob->size = compressed.size();
    if (prepared.held.size() + compressed.size() <= options.memory_budget_bytes) {
      blob->offset = prepared.held.size();
      prepared.held += compressed;
    } else {
      if (!prepared.spool) prepared.spool = std::make_unique<SpoolFile>();
      blob->spooled = true;
      blob->offset = prepared.spool->append(compressed);
    }
  }
  return prepared;
}

const ZstdDictionary* SqliteStore::latest_dictionary(int64_t& id) {
  auto latest = db_.prepare("SELECT max(id) FROM dictionaries");
  latest.step();
  if (latest.column_is_null(0)) {
    id = 0;
    return nullptr;
  }
  id = latest.column_int(0);
  return dictionary(id);
}

const ZstdDictionary* SqliteStore::dictionary_for_new_blobs(
    PreparedAdd& prepared, const std::pmr::vector<PreparedAdd::Blob*>& fresh, int64_t& id) {
  if (const ZstdDictionary* latest = latest_dictionary(id)) return latest;
  // No dictionary yet: train one on the new manifests, plus the stored
  // ones (all compressed without a dictionary) when those are too few.
  auto count = db_.prepare("SELECT count(*) FROM blobs");
  count.step();
  size_t available = fresh.size() + static_cast<size_t>(count.column_int(0));
  if (available < kMinTrainingBlobs) return nullptr;
  const GraphView& graph = *prepared.graph;
  size_t total = 0;
  for (const PreparedAdd::Blob* blob : fresh) total += graph.canonical_size(blob->manifest);
  // Every k-th manifest, so that the sample spans the whole input,
  // concatenated as they are read (elided ones come back one at a time).
  size_t stride = std::max<size_t>(1, total / kMaxTrainingBytes + 1);
  std::string joined;
  std::vector<size_t> sizes;
  // Reserved at the new manifests' share of the sample: grown by doubling,
  // the sample's string took up to twice its 2 MB at the add's memory peak.
  // (Stored blobs added below, when too few are new, may grow it once.)
  size_t sampled = 0;
  for (size_t i = 0; i < fresh.size(); i += stride) {
    sampled += graph.canonical_size(fresh[i]->manifest);
  }
  joined.reserve(sampled);
  // Samples far apart in the working memory: each read maps a page and
  // its neighbours (16 pages), which the memory is told of, or its rate of
  // accesses from the sequential passes before would let 14 MB be mapped
  // before its next check.
  constexpr size_t kPagesPerFault = 16;
  SpillHeap* memory = graph.working_memory();
  for (size_t i = 0; i < fresh.size(); i += stride) {
    if (memory != nullptr) memory->touch(kPagesPerFault);
    size_t before = joined.size();
    if (std::optional<std::string_view> held = graph.held_canonical(fresh[i]->manifest)) {
      joined += *held;
    } else {
      joined += canonical_bytes(graph, fresh[i]->manifest, prepared.options.blob_source);
    }
    sizes.push_back(joined.size() - before);
  }
  if (sizes.size() < kMinTrainingBlobs) {
    auto rows = db_.prepare("SELECT hash, data, raw_size, dict FROM blobs LIMIT ?");
    rows.bind(1, static_cast<int64_t>(kMinTrainingBlobs));
    while (rows.step() && joined.size() < kMaxTrainingBytes) {
      try {
        std::string sample =
            decompress_blob(rows.column_hash(0), rows.column_blob(1),
                            static_cast<size_t>(rows.column_int(2)), rows.column_int(3));
        joined += sample;
        sizes.push_back(sample.size());
      } catch (const Error&) {
        // A damaged blob is verify's business; it is simply no sample.
      }
    }
  }
  std::optional<std::string> trained = ZstdDictionary::train(joined, sizes, kDictionaryCapacity);
  if (!trained) return nullptr;
  auto digested = std::make_unique<ZstdDictionary>(*trained);
  prepared.new_dictionary = std::move(*trained);
  id = PreparedAdd::kNewDictionary;
  // Kept under the sentinel only for this add; commit_add gives it its id.
  dictionaries_[PreparedAdd::kNewDictionary] = std::move(digested);
  return dictionaries_[PreparedAdd::kNewDictionary].get();
}

const ZstdDictionary* SqliteStore::dictionary(int64_t id) {
  if (id == 0) return nullptr;
  auto it = dictionaries_.find(id);
  if (it != dictionaries_.end()) return it->second.get();
  auto s = db_.prepare("SELECT data FROM dictionaries WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) {
    throw Error(ErrorKind::kCorruption,
                "zstd dictionary " + std::to_string(id) + " is not in the store", {},
                "run `kix store verify` to see which blobs it affects");
  }
  auto loaded = std::make_unique<ZstdDictionary>(std::string(s.column_blob(0)));
  return dictionaries_.emplace(id, std::move(loaded)).first->second.get();
}

std::string SqliteStore::decompress_blob(const Hash& blob, std::string_view data, size_t raw_size,
                                         int64_t dictionary_id) {
  const ZstdDictionary* dict = nullptr;
  try {
    dict = dictionary(dictionary_id);
  } catch (const Error& e) {
    throw Error(ErrorKind::kCorruption, "blob " + blob.hex() + " is corrupt: " + e.message(), {},
                e.hint());
  }
  return codec_.decompress(data, raw_size, blob.hex(), dict);
}

AddResult SqliteStore::commit_add(PreparedAdd& prepared) {
  const GraphView& graph = *prepared.graph;
  const AddOptions& options = prepared.options;
  AddResult result;
  result.root = graph.root(root_cluster_of(options));
  result.resources = graph.size();
  SpillHeap* memory = graph.working_memory();
  for (size_t i = 0; i < graph.size(); ++i) {
    if (memory != nullptr && i % 128 == 0) memory->touch();
    result.raw_bytes += graph.canonical_size(i);
  }

  Transaction t(db_, Transaction::Mode::kWrite);
  int64_t new_dictionary = 0;
  if (!prepared.new_dictionary.empty()) {
    auto insert = db_.prepare("INSERT INTO dictionaries (data) VALUES (?)");
    insert.bind_blob(1, prepared.new_dictionary);
    insert.run();
    auto id = db_.prepare("SELECT max(id) FROM dictionaries");
    id.step();
    new_dictionary = id.column_int(0);
  }
  BlobWriter writer(*this);
  // The current generation's node list: the one prepare_add read, unless
  // another add made a new generation meanwhile.
  std::optional<DeltaBase> base;
  std::pmr::vector<Hash> reloaded(prepared.stored_nodes.get_allocator());
  std::pmr::vector<bool> relisted(prepared.listed.get_allocator());
  const std::pmr::vector<bool>* listed = &relisted;  // empty: no base
  if (options.cluster) {
    if (auto previous = current_generation(*options.cluster)) {
      if (prepared.stored_root == previous->root) {
        base = DeltaBase{previous->root, prepared.stored_nodes, prepared.stored_depth};
        listed = &prepared.listed;
      } else {
        int depth = 0;
        if (read_sorted_root_nodes(db_, previous->root, reloaded, graph.working_memory(), &depth)) {
          base = DeltaBase{previous->root, reloaded, depth};
          relisted = listed_nodes(graph, reloaded, relisted.get_allocator().resource());
        }
      }
    }
  }
  // The blobs prepare_add took as stored with the current generation are
  // certain only while that generation is current: if another add made a
  // new one meanwhile, a gc may have collected them since.
  if (base && prepared.stored_root == base->hash) {
    result.reused_blobs = prepared.stored_blobs.size();
  } else {
    for (size_t i : prepared.stored_blobs) {
      const Hash& blob = graph.blob(i);
      size_t written = 0;
      if (!writer.has(blob)) {
        written = writer.put(blob, canonical_bytes(graph, i, options.blob_source));
      }
      if (const SealedSecret* sealed = graph.sealed(i)) writer.put_sealed(blob, *sealed);
      if (written > 0) {
        ++result.new_blobs;
        result.written_bytes += written;
      } else {
        ++result.reused_blobs;
      }
    }
  }
  const int64_t dictionary =
      prepared.dictionary == PreparedAdd::kNewDictionary ? new_dictionary : prepared.dictionary;
  // Spooled blobs come back in the order they were spooled: a window at a
  // time, not a read each, inside the write lock.
  std::optional<SpoolWindow> spooled;
  if (prepared.spool) spooled.emplace(*prepared.spool);
  for (const PreparedAdd::Blob& blob : prepared.blobs) {
    const Hash& hash = graph.blob(blob.manifest);
    // A blob found present by prepare_add and deleted since by a gc is
    // compressed now; one compressed then goes in as it is.
    size_t written = 0;
    if (blob.size > 0) {
      const std::string_view bytes =
          blob.spooled ? spooled->read(blob.offset, blob.size)
                       : std::string_view(prepared.held).substr(blob.offset, blob.size);
      written = writer.put_compressed(hash, graph.canonical_size(blob.manifest), bytes, dictionary);
    } else if (!writer.has(hash)) {
      written = writer.put(hash, canonical_bytes(graph, blob.manifest, options.blob_source));
    }
    if (const SealedSecret* sealed = graph.sealed(blob.manifest)) writer.put_sealed(hash, *sealed);
    if (written > 0) {
      ++result.new_blobs;
      result.written_bytes += written;
    } else {
      ++result.reused_blobs;
    }
  }
  insert_nodes_and_refs(db_, graph, *listed, result);
  insert_root(db_, result.root, root_cluster_of(options), graph.sorted_nodes(), base,
              graph.working_memory());
  if (options.cluster) {
    Generation g{*options.cluster,       0, result.root, options.time, options.message,
                 options.source_revision};
    insert_generation(db_, g);
    result.generation = g.number;
  }
  if (options.pin) result.pinned = insert_pin(result.root, ObjectKind::kRoot, options.time);
  if (!options.sources.empty()) {
    auto known = db_.prepare("SELECT 1 FROM sources WHERE hash = ?");
    auto link = db_.prepare("INSERT OR IGNORE INTO root_sources (root, source) VALUES (?, ?)");
    for (const Hash& source : options.sources) {
      known.bind(1, source);
      if (!known.step()) {
        throw Error(ErrorKind::kNotFound, "source " + source.hex() + " is not in the store");
      }
      known.reset();
      link.bind(1, result.root).bind(2, source);
      link.run();
    }
  }
  t.commit();
  // Only now: a commit that failed leaves `prepared` whole.
  std::string().swap(prepared.held);
  // A dictionary this add trained now has its real id; load it by that.
  dictionaries_.erase(PreparedAdd::kNewDictionary);
  return result;
}

Generation SqliteStore::append_generation(const GenerationRequest& request) {
  check_cluster_name(request.cluster);
  Transaction t(db_, Transaction::Mode::kWrite);
  if (!find_root(request.root)) {
    throw Error(ErrorKind::kNotFound, "no root " + request.root.hex() + " in the store");
  }
  Generation g{request.cluster,        0, request.root, request.time, request.message,
               request.source_revision};
  insert_generation(db_, g);
  t.commit();
  return g;
}

namespace {
void insert_deployment(sqlite::Database& db, const Deployment& d);  // below, with its reader
}  // namespace

ImportResult SqliteStore::import_closure(const Closure& closure, const ImportOptions& options) {
  ImportResult result;
  Transaction t(db_, Transaction::Mode::kWrite);
  BlobWriter writer(*this);
  for (const auto& [hash, sealed] : closure.sealed()) writer.put_sealed(hash, sealed);
  for (const auto& [hash, canonical] : closure.blobs()) {
    if (writer.put(hash, canonical) > 0) {
      ++result.new_blobs;
    } else {
      ++result.reused_blobs;
    }
  }
  NodeWriter nodes(db_);
  std::unordered_map<Hash, int64_t, HashHasher> ids;
  for (const StoredNode& n : closure.nodes()) {
    NodeWriter::Put put = nodes.put(n.hash, n.blob, n.id.view());
    ids.emplace(n.hash, put.id);
    result.nodes += put.added ? 1 : 0;
  }
  // Closure::check refused a ref naming a node the closure lacks.
  for (const StoredRef& r : closure.refs()) nodes.put_ref(ids.at(r.from), ids.at(r.to), r.reason);
  for (const StoredRoot& r : closure.roots()) {
    if (find_root(r.hash)) continue;
    std::vector<Hash> sorted = r.nodes;  // an archive's lists are checked, not trusted sorted
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    insert_root(db_, r.hash, r.cluster, sorted, std::nullopt, nullptr);
    ++result.roots;
  }
  if (options.pin) {
    for (const StoredRoot& r : closure.roots()) insert_pin(r.hash, ObjectKind::kRoot, options.time);
  }
  HistoryMerge merge = plan_history_merge(
      *this, options.history_as ? rename_history(closure.history(), *options.history_as)
                                : closure.history());
  auto insert_generation = db_.prepare(
      "INSERT INTO generations (cluster, number, root, time, message, source_revision) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  for (const Generation& g : merge.generations) {
    insert_generation.bind(1, g.cluster).bind(2, g.number).bind(3, g.root).bind(4, g.time);
    insert_generation.bind(5, g.message).bind(6, g.source_revision);
    insert_generation.run();
  }
  for (const Deployment& d : merge.deployments) insert_deployment(db_, d);
  for (const Pin& p : merge.pins) insert_pin(p.hash, p.kind, p.time);
  result.generations = merge.generations.size();
  result.deployments = merge.deployments.size();
  result.pins = merge.pins.size();
  t.commit();
  return result;
}

// --- Reading ------------------------------------------------------------------

std::optional<StoredRoot> SqliteStore::find_root(const Hash& hash) {
  return load_root(hash, nullptr);
}

std::optional<StoredRoot> SqliteStore::load_root(const Hash& hash, int* depth) {
  StoredRoot root{hash, {}, {}};
  std::optional<std::string> cluster = read_root_nodes(db_, hash, root.nodes, nullptr, depth);
  if (!cluster) return std::nullopt;
  root.cluster = std::move(*cluster);
  return root;
}

void SqliteStore::store_roots_in_full(const std::vector<Hash>& bases) {
  std::unordered_set<Hash, HashHasher> dying(bases.begin(), bases.end());
  auto dependents = db_.prepare("SELECT hash, base FROM roots WHERE base IS NOT NULL");
  std::vector<Hash> rewrite;
  while (dependents.step()) {
    if (dying.count(dependents.column_hash(1)) && !dying.count(dependents.column_hash(0))) {
      rewrite.push_back(dependents.column_hash(0));
    }
  }
  auto update = db_.prepare("UPDATE roots SET nodes = ?, base = NULL WHERE hash = ?");
  for (const Hash& h : rewrite) {
    std::optional<StoredRoot> root = load_root(h, nullptr);
    update.bind_blob(1, pack_hashes(root->nodes)).bind(2, h);
    update.run();
  }
}

namespace {

ResourceId read_identity(const sqlite::Statement& s, int first_column) {
  return ResourceId{s.column_text(first_column), s.column_text(first_column + 1),
                    s.column_text(first_column + 2), s.column_text(first_column + 3)};
}

}  // namespace

SqliteStore::CachedStatement SqliteStore::cached(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, StatementSlot{db_.prepare(sql), false}).first;
  }
  StatementSlot& slot = it->second;
  if (slot.busy) {
    throw Error(ErrorKind::kInternal, std::string("statement used while in use: ") + sql);
  }
  slot.statement.reset();
  slot.busy = true;
  return CachedStatement{slot.statement, slot.busy};
}

std::optional<StoredNode> SqliteStore::find_node(const Hash& hash) {
  auto c = cached("SELECT blob, api_version, kind, namespace, name FROM nodes WHERE hash = ?");
  sqlite::Statement& s = c.s;
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return StoredNode{hash, s.column_hash(0), read_identity(s, 1)};
}

std::vector<StoredNode> SqliteStore::load_nodes(const std::vector<Hash>& hashes) {
  auto c = cached("SELECT blob, api_version, kind, namespace, name FROM nodes WHERE hash = ?");
  sqlite::Statement& s = c.s;
  std::vector<StoredNode> out;
  out.reserve(hashes.size());
  for (const Hash& h : hashes) {
    s.bind(1, h);
    if (!s.step()) {
      throw Error(ErrorKind::kCorruption, "node " + h.hex() + " is listed but not stored", {},
                  "run `kix store verify` to see what it affects");
    }
    out.push_back(StoredNode{h, s.column_hash(0), read_identity(s, 1)});
    s.reset();
  }
  return out;
}

std::vector<StoredRef> SqliteStore::refs_from(const Hash& node) {
  auto c = cached(
      "SELECT n.hash, r.reason FROM refs JOIN nodes n ON n.id = refs.dst "
      "LEFT JOIN reasons r ON r.id = refs.reason "
      "WHERE refs.src = (SELECT id FROM nodes WHERE hash = ?) ORDER BY n.hash");
  sqlite::Statement& s = c.s;
  s.bind(1, node);
  std::vector<StoredRef> out;
  while (s.step()) out.push_back(StoredRef{node, s.column_hash(0), s.column_text(1)});
  return out;
}

std::vector<StoredRef> SqliteStore::refs_to(const Hash& node) {
  auto c = cached(
      "SELECT n.hash, r.reason FROM refs JOIN nodes n ON n.id = refs.src "
      "LEFT JOIN reasons r ON r.id = refs.reason "
      "WHERE refs.dst = (SELECT id FROM nodes WHERE hash = ?) ORDER BY n.hash");
  sqlite::Statement& s = c.s;
  s.bind(1, node);
  std::vector<StoredRef> out;
  while (s.step()) out.push_back(StoredRef{s.column_hash(0), node, s.column_text(1)});
  return out;
}

std::vector<Hash> SqliteStore::closure(const std::vector<Hash>& start) {
  auto s = db_.prepare(
      "SELECT n.hash FROM refs JOIN nodes n ON n.id = refs.dst "
      "WHERE refs.src = (SELECT id FROM nodes WHERE hash = ?)");
  std::unordered_set<Hash, HashHasher> seen(start.begin(), start.end());
  std::vector<Hash> queue(seen.begin(), seen.end());
  while (!queue.empty()) {
    Hash h = queue.back();
    queue.pop_back();
    s.bind(1, h);
    while (s.step()) {
      Hash to = s.column_hash(0);
      if (seen.insert(to).second) queue.push_back(to);
    }
    s.reset();
  }
  std::vector<Hash> out(seen.begin(), seen.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool SqliteStore::has_blob(const Hash& blob) {
  auto s = db_.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  s.bind(1, blob);
  return s.step();
}

std::string SqliteStore::read_blob(const Hash& blob) {
  auto c = cached("SELECT raw_size, data, dict FROM blobs WHERE hash = ?");
  sqlite::Statement& s = c.s;
  s.bind(1, blob);
  if (!s.step()) {
    throw Error(ErrorKind::kNotFound, "blob " + blob.hex() + " is not in the store", {},
                "run `kix store verify` to see what it affects");
  }
  std::string raw = decompress_blob(blob, s.column_blob(1), static_cast<size_t>(s.column_int(0)),
                                    s.column_int(2));
  if (Hash::of(raw) != blob && !(sealed_secret(blob).value_or(SealedSecret{}).legacy)) {
    throw Error(ErrorKind::kCorruption,
                "blob " + blob.hex() + " is corrupt: its content hashes to " + Hash::of(raw).hex(),
                {},
                "run `kix store verify` to see what it affects; `kix store verify --repair --from "
                "PATH` restores it from the original manifests");
  }
  return raw;
}

std::optional<std::string> SqliteStore::find_source(const Hash& sha256) {
  Transaction t(db_, Transaction::Mode::kRead);
  auto s = db_.prepare("SELECT data FROM sources WHERE hash = ?");
  s.bind(1, sha256);
  if (!s.step()) return std::nullopt;
  std::string bytes(s.column_blob(0));
  if (Hash::of(bytes) != sha256) {
    throw Error(ErrorKind::kCorruption,
                "source " + sha256.hex() + " in " + describe() + " does not hash to its name", {},
                "run `kix store verify --repair` to drop it; the next build fetches it again");
  }
  return bytes;
}

Hash SqliteStore::keep_source(std::string_view bytes, const std::string& kind,
                              const std::string& name) {
  Hash hash = Hash::of(bytes);
  Transaction t(db_, Transaction::Mode::kWrite);
  auto s =
      db_.prepare("INSERT OR IGNORE INTO sources (hash, kind, name, data) VALUES (?, ?, ?, ?)");
  s.bind(1, hash).bind(2, kind).bind(3, name).bind_blob(4, bytes);
  s.run();
  t.commit();
  return hash;
}

std::optional<SealedSecret> SqliteStore::sealed_secret(const Hash& blob) {
  auto s = db_.prepare("SELECT key_id, sealed, legacy FROM secrets WHERE blob = ?");
  s.bind(1, blob);
  if (!s.step()) return std::nullopt;
  return SealedSecret{s.column_text(0), std::string(s.column_blob(1)), s.column_int(2) != 0};
}

std::vector<std::pair<Hash, ObjectKind>> SqliteStore::find_by_prefix(std::string_view hex_prefix,
                                                                     size_t limit) {
  std::vector<std::pair<Hash, ObjectKind>> out;
  auto range = hash_prefix_range(hex_prefix);
  if (!range) return out;
  const auto& [low, high] = *range;
  for (auto [table, kind] :
       {std::pair{"roots", ObjectKind::kRoot}, std::pair{"nodes", ObjectKind::kNode}}) {
    auto s = db_.prepare(std::string("SELECT hash FROM ") + table +
                         " WHERE hash BETWEEN ? AND ? ORDER BY hash LIMIT ?");
    s.bind(1, low).bind(2, high).bind(3, static_cast<int64_t>(limit));
    while (s.step() && out.size() < limit) out.emplace_back(s.column_hash(0), kind);
  }
  return out;
}

// --- Generations --------------------------------------------------------------

namespace {

constexpr std::string_view kGenerationColumns =
    "SELECT cluster, number, root, time, message, source_revision FROM generations ";

Generation read_generation(const sqlite::Statement& s) {
  return Generation{s.column_text(0), s.column_int(1),  s.column_hash(2),
                    s.column_int(3),  s.column_text(4), s.column_text(5)};
}

}  // namespace

std::vector<std::string> SqliteStore::clusters() {
  auto s = db_.prepare("SELECT DISTINCT cluster FROM generations ORDER BY cluster");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

std::vector<Generation> SqliteStore::generations(const std::string& cluster) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE cluster = ? ORDER BY number");
  s.bind(1, cluster);
  std::vector<Generation> out;
  while (s.step()) out.push_back(read_generation(s));
  return out;
}

std::optional<Generation> SqliteStore::generation(const std::string& cluster, int64_t number) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE cluster = ? AND number = ?");
  s.bind(1, cluster).bind(2, number);
  if (!s.step()) return std::nullopt;
  return read_generation(s);
}

std::optional<Generation> SqliteStore::current_generation(const std::string& cluster) {
  auto s = db_.prepare(std::string(kGenerationColumns) +
                       "WHERE cluster = ? ORDER BY number DESC LIMIT 1");
  s.bind(1, cluster);
  if (!s.step()) return std::nullopt;
  return read_generation(s);
}

std::vector<Generation> SqliteStore::generations_of_root(const Hash& root) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE root = ? ORDER BY cluster, number");
  s.bind(1, root);
  std::vector<Generation> out;
  while (s.step()) out.push_back(read_generation(s));
  return out;
}

// --- Deployments --------------------------------------------------------------

namespace {

constexpr std::string_view kDeploymentColumns =
    "SELECT cluster, root, time, context, generation, p.waves_applied, p.waves_total "
    "FROM deployments d LEFT JOIN partial_deployments p USING (id) ";

Deployment read_deployment(const sqlite::Statement& s) {
  Deployment d{s.column_text(0), s.column_hash(1), s.column_int(2), s.column_text(3), {}, {}};
  if (!s.column_is_null(4)) d.generation = s.column_int(4);
  if (!s.column_is_null(5)) d.partial = Deployment::Partial{s.column_int(5), s.column_int(6)};
  return d;
}

void insert_deployment(sqlite::Database& db, const Deployment& d) {
  auto insert = db.prepare(
      "INSERT INTO deployments (cluster, root, time, context, generation) VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, d.cluster).bind(2, d.root).bind(3, d.time).bind(4, d.context);
  if (d.generation) {
    insert.bind(5, *d.generation);
  } else {
    insert.bind_null(5);
  }
  insert.run();
  if (!d.partial) return;
  auto partial = db.prepare(
      "INSERT INTO partial_deployments (id, waves_applied, waves_total) "
      "VALUES (last_insert_rowid(), ?, ?)");
  partial.bind(1, d.partial->waves_applied).bind(2, d.partial->waves_total);
  partial.run();
}

}  // namespace

Deployment SqliteStore::record_deployment(const std::string& cluster, const Hash& root,
                                          int64_t time, const std::string& context,
                                          std::optional<Deployment::Partial> partial) {
  check_cluster_name(cluster);
  Transaction t(db_, Transaction::Mode::kWrite);
  if (!find_root(root)) {
    throw Error(ErrorKind::kNotFound, "no root " + root.hex() + " in the store", {},
                "add it first (kix store add --cluster " + cluster + ")");
  }
  Deployment d{cluster, root, time, context, {}, partial};
  auto newest = db_.prepare("SELECT MAX(number) FROM generations WHERE cluster = ? AND root = ?");
  newest.bind(1, cluster).bind(2, root);
  if (newest.step() && !newest.column_is_null(0)) d.generation = newest.column_int(0);
  insert_deployment(db_, d);
  t.commit();
  return d;
}

std::optional<Deployment> SqliteStore::last_deployment(const std::string& cluster) {
  auto s = db_.prepare(std::string(kDeploymentColumns) +
                       "WHERE cluster = ? ORDER BY time DESC, d.id DESC LIMIT 1");
  s.bind(1, cluster);
  if (!s.step()) return std::nullopt;
  return read_deployment(s);
}

std::vector<Deployment> SqliteStore::deployments(const std::string& cluster) {
  auto s = db_.prepare(std::string(kDeploymentColumns) + "WHERE cluster = ? ORDER BY time, d.id");
  s.bind(1, cluster);
  std::vector<Deployment> out;
  while (s.step()) out.push_back(read_deployment(s));
  return out;
}

// --- Pins ---------------------------------------------------------------------

bool SqliteStore::insert_pin(const Hash& hash, ObjectKind kind, int64_t time) {
  auto s = db_.prepare("INSERT OR IGNORE INTO pins (hash, kind, time) VALUES (?, ?, ?)");
  s.bind(1, hash).bind(2, object_kind_name(kind)).bind(3, time);
  s.run();
  return db_.changes() == 1;
}

bool SqliteStore::pin(const Hash& hash, ObjectKind kind, int64_t time) {
  Transaction t(db_, Transaction::Mode::kWrite);
  bool exists =
      kind == ObjectKind::kRoot ? find_root(hash).has_value() : find_node(hash).has_value();
  if (!exists) {
    throw Error(ErrorKind::kNotFound,
                "no " + std::string(object_kind_name(kind)) + " " + hash.hex() + " in the store");
  }
  bool added = insert_pin(hash, kind, time);
  t.commit();
  return added;
}

bool SqliteStore::unpin(const Hash& hash) {
  Transaction t(db_, Transaction::Mode::kWrite);
  auto s = db_.prepare("DELETE FROM pins WHERE hash = ?");
  s.bind(1, hash);
  s.run();
  bool removed = db_.changes() == 1;
  t.commit();
  return removed;
}

std::vector<Pin> SqliteStore::pins() {
  auto s = db_.prepare("SELECT hash, kind, time FROM pins ORDER BY hash");
  std::vector<Pin> out;
  while (s.step()) {
    out.push_back(Pin{s.column_hash(0),
                      s.column_text(1) == "node" ? ObjectKind::kNode : ObjectKind::kRoot,
                      s.column_int(2)});
  }
  return out;
}

}  // namespace kix
