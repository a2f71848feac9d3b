// The embedded store: one directory holding one SQLite database
// (docs/store.md). This class owns every SQL statement kix runs.
//
// Every write is one BEGIN IMMEDIATE transaction, so a write is
// all-or-nothing, a crash at any instant leaves a consistent store, several
// processes may write at once (they queue for the lock), and garbage
// collection can never interleave with an add. Reads see the last committed
// state; snapshot() makes several reads see one state.
//
// Blobs enter the database by one path (store/blob_writer.h),
// whether they come from an add, an import or a repair: compressed with the
// store's zstd dictionary when it has one, skipped when already present.
//
// Thread-safety: one object per thread; any number of objects and processes
// may use one directory.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "store/store.h"
#include "store/zstd_codec.h"
#include "util/spool_file.h"

namespace kix {

// The first half of an add: the distinct blobs of a graph, compressed when
// the store did not have them when prepare_add looked. Refers to the graph,
// which must outlive it.
struct PreparedAdd {
  // The lists per blob in `memory`: the graph's working memory.
  explicit PreparedAdd(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : blobs(memory), stored_blobs(memory), stored_nodes(memory), listed(memory) {}

  // `dictionary` value for "the dictionary trained by this add".
  static constexpr int64_t kNewDictionary = -1;
  // 24 bytes: at 50,000 new blobs a record with its own hash and string
  // was 4.8 MB of an add's peak memory.
  struct Blob {
    // A resource with this blob: the blob's hash is graph->blob(manifest).
    uint32_t manifest = 0;
    // Where the compressed bytes are: in `held`, or in `spool`.
    bool spooled = false;
    uint64_t offset = 0;
    // 0: not compressed, because the store had it (checked again on commit).
    uint64_t size = 0;
  };
  const GraphView* graph = nullptr;
  std::unique_ptr<GraphView> own_view;  // when prepared from a Graph
  AddOptions options;
  std::pmr::vector<Blob> blobs;
  // Distinct blobs not in `blobs`: those of nodes the cluster's current
  // generation (root `stored_root`) held when prepare_add looked, as the
  // index of a manifest with each. commit_add checks them again when the
  // current generation changed meanwhile (a gc may have taken them).
  std::pmr::vector<uint32_t> stored_blobs;
  std::optional<Hash> stored_root;
  // The node list of `stored_root`, sorted, and the number of deltas it is
  // stored as: commit_add stores the new root as a delta against it, and
  // inserts only nodes it lacks, when it is still current then. Read once:
  // at 200,000 resources each reading took 12.8 MB more.
  std::pmr::vector<Hash> stored_nodes;
  int stored_depth = 0;
  // listed[i]: resource i's node is one of `stored_nodes` (empty: none is).
  std::pmr::vector<bool> listed;
  // A zstd dictionary trained by prepare_add (the store had none and enough
  // blobs exist); commit_add stores it first. Empty: none.
  std::string new_dictionary;
  // dictionaries.id every compressed blob needs (0: none).
  int64_t dictionary = 0;
  // Compressed blobs back to back, as long as they fit the memory budget;
  // the rest go to `spool`, so that a large first add does not hold its
  // whole compressed input until commit.
  std::string held;
  std::unique_ptr<SpoolFile> spool;
};

class SqliteStore final : public Store {
 public:
  // Opens the store in `dir`, creating the directory (mode 0700) and the
  // database on first use. A new database is built beside the final name
  // and linked into place complete, so `store.db` is always a whole store.
  // An older format version is upgraded in place (docs/store.md, "Format
  // versions"). Throws:
  //   kIo          the directory or database cannot be created or opened;
  //   kCorruption  store.db exists but is empty, truncated or damaged, or a
  //                write-ahead log lies there without its database;
  //   kInvalidInput  store.db is a file of another program (not a SQLite
  //                database, or a SQLite database that is not a kix store);
  //   kConflict    the store was written by a newer kix (a newer version).
  // Nothing is ever created over, or written into, a file it refuses.
  //
  // Upgrading a store of version 2 or older seals the Secrets kix 0.1.0
  // stored in plaintext, which needs the secret key: `keys` (created on
  // first need); without keys, such a store is refused (kNotFound).
  static std::unique_ptr<SqliteStore> open(const std::filesystem::path& dir,
                                           SecretKeyring* keys = nullptr);
  // Opens an existing store to read it, changing nothing: no directory or
  // database is created, no format upgraded, no connection setting written
  // (shell completion reads cluster names on a key press). Throws as open(),
  // and kNotFound when `dir` holds no store.db, kConflict when the store
  // has an older format (any other command upgrades it).
  static std::unique_ptr<SqliteStore> open_existing(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  // When the store directory or a file in it can be read by others (a
  // store created by kix 0.1.0, or chmod'ed), what is too open and the
  // command that fixes it; nullopt when it is private.
  std::optional<std::string> permission_problem() const;
  std::filesystem::path database_file() const { return dir_ / "store.db"; }
  std::string describe() const override;

  using Store::add;
  AddResult add(const GraphView& graph, const AddOptions& options) override;
  // The two halves of add(). prepare_add reads (no write lock) and
  // compresses; commit_add takes the write lock and inserts everything,
  // first checking again every blob prepare_add found present, since a
  // garbage collection may have deleted it in between.
  PreparedAdd prepare_add(const GraphView& graph, const AddOptions& options);
  PreparedAdd prepare_add(const Graph& graph, const AddOptions& options);
  AddResult commit_add(PreparedAdd& prepared);

  Generation append_generation(const GenerationRequest& request) override;
  using Store::record_deployment;
  Deployment record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                               const std::string& context,
                               std::optional<Deployment::Partial> partial) override;
  bool pin(const Hash& hash, ObjectKind kind, int64_t time) override;
  bool unpin(const Hash& hash) override;
  ImportResult import_closure(const Closure& closure, const ImportOptions& options = {}) override;

  std::unique_ptr<ReadSnapshot> snapshot() override;
  std::optional<StoredRoot> find_root(const Hash& hash) override;
  std::optional<StoredNode> find_node(const Hash& hash) override;
  std::vector<StoredNode> load_nodes(const std::vector<Hash>& hashes) override;
  std::vector<StoredRef> refs_from(const Hash& node) override;
  std::vector<StoredRef> refs_to(const Hash& node) override;
  std::vector<Hash> closure(const std::vector<Hash>& start) override;
  bool has_blob(const Hash& blob) override;
  std::string read_blob(const Hash& blob) override;
  std::optional<SealedSecret> sealed_secret(const Hash& blob) override;
  std::optional<std::string> find_source(const Hash& sha256) override;
  Hash keep_source(std::string_view bytes, const std::string& kind,
                   const std::string& name) override;
  std::vector<std::pair<Hash, ObjectKind>> find_by_prefix(std::string_view hex_prefix,
                                                          size_t limit) override;
  std::vector<std::string> clusters() override;
  std::vector<Generation> generations(const std::string& cluster) override;
  std::optional<Generation> generation(const std::string& cluster, int64_t number) override;
  std::optional<Generation> current_generation(const std::string& cluster) override;
  std::vector<Generation> generations_of_root(const Hash& root) override;
  std::optional<Deployment> last_deployment(const std::string& cluster) override;
  std::vector<Deployment> deployments(const std::string& cluster) override;
  std::vector<Pin> pins() override;

  // Runs SQLite's integrity_check before anything else: gc deletes nothing
  // in a database that fails it.
  GcResult collect_garbage(const GcOptions& options) override;
  VerifyReport verify(const VerifyOptions& options) override;

 private:
  SqliteStore(std::filesystem::path dir, sqlite::Database db);
  void prepare_connection();
  // Refuses what is not a kix store of a version this kix reads; upgrades
  // an older format in place when `upgrade`, refuses it (kConflict) when not.
  void check_format_and_upgrade(SecretKeyring* keys, bool upgrade = true);
  // Upgrade to version 3, inside its transaction: every Secret stored with
  // its values becomes its hash form, the values sealed (legacy, hashes
  // kept).
  void seal_plaintext_secrets(SecretKeyring* keys);

  // find_root, also giving the number of deltas applied (when not null).
  std::optional<StoredRoot> load_root(const Hash& hash, int* depth);
  // Inside a write transaction, before the roots `bases` are deleted:
  // stores every other root whose node list is a delta against one of
  // them as a full list, so that no surviving root needs a deleted one.
  void store_roots_in_full(const std::vector<Hash>& bases);
  // The dictionary with this id, loaded once; nullptr for 0. Throws
  // kCorruption when it is missing or damaged.
  const ZstdDictionary* dictionary(int64_t id);
  // The newest dictionary and its id (nullptr and 0: the store has none).
  const ZstdDictionary* latest_dictionary(int64_t& id);
  // The dictionary the new blobs `fresh` should be compressed with and its
  // id (nullptr and 0: none). When the store has none and enough blobs
  // exist, trains one (prepared.new_dictionary, id kNewDictionary).
  const ZstdDictionary* dictionary_for_new_blobs(PreparedAdd& prepared,
                                                 const std::pmr::vector<PreparedAdd::Blob*>& fresh,
                                                 int64_t& id);
  // Decompresses a blobs row; checks the size, not the hash.
  std::string decompress_blob(const Hash& blob, std::string_view data, size_t raw_size,
                              int64_t dictionary);
  // Pins inside the caller's write transaction; false when already pinned.
  bool insert_pin(const Hash& hash, ObjectKind kind, int64_t time);

  friend class BlobWriter;

  // A statement prepared once per store object, reset for this use and
  // again when the returned guard goes (so no read lock outlives it). For
  // the lookups a command repeats once per object; the caller must finish
  // with it before the same SQL is used again.
  struct StatementSlot {
    sqlite::Statement statement;
    bool busy = false;
  };
  struct CachedStatement {
    sqlite::Statement& s;
    bool& busy;
    ~CachedStatement() {
      s.reset();
      busy = false;
    }
  };
  // Throws kInternal when the statement is in use already (a nested use
  // would reset the outer one's stepping).
  CachedStatement cached(const char* sql);

  std::filesystem::path dir_;
  sqlite::Database db_;
  // After db_, so that they are finalized before it closes.
  std::map<const char*, StatementSlot> statements_;
  ZstdCodec codec_;
  std::map<int64_t, std::unique_ptr<ZstdDictionary>> dictionaries_;
};

}  // namespace kix
