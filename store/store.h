// The content-addressed store (DESIGN §7, docs/store.md): blobs, Merkle
// nodes, roots, per-cluster generations and pins in one SQLite database.
//
// Every write is one BEGIN IMMEDIATE transaction, so an add is
// all-or-nothing, a crash at any instant leaves a consistent store, several
// processes may write at once (they queue for the lock), and garbage
// collection can never interleave with an add. Reads see the last committed
// state; wrap several reads in snapshot() to see one consistent state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "store/sqlite.h"
#include "store/zstd_codec.h"
#include "util/hash.h"

namespace kix {

// One stored resource: its Merkle hash, manifest blob and identity.
struct StoredNode {
  Hash hash;
  Hash blob;
  ResourceId id;
};

// A reference edge between two nodes and why it exists.
struct StoredRef {
  Hash from;
  Hash to;
  std::string reason;
};

// A whole build: the cluster name it was hashed with ("" when added without
// a cluster) and its nodes in ascending hash order.
struct StoredRoot {
  Hash hash;
  std::string cluster;
  std::vector<Hash> nodes;
};

// One entry of a cluster's history.
struct Generation {
  std::string cluster;
  int64_t number = 0;  // 1, 2, ... in the order they were recorded
  Hash root;
  int64_t time = 0;  // unix seconds
  std::string message;
  std::string source_revision;
};

// One successful `kix deploy` of a root to a cluster.
struct Deployment {
  std::string cluster;
  Hash root;
  int64_t time = 0;     // unix seconds
  std::string context;  // the kubectl context ("" for kubectl's current one)
  // The newest generation of `cluster` whose root is `root` when the
  // deployment was recorded; nullopt when the root is no generation of it.
  std::optional<int64_t> generation;
};

enum class ObjectKind { kRoot, kNode };

struct Pin {
  Hash hash;
  ObjectKind kind = ObjectKind::kRoot;
  int64_t time = 0;
};

struct AddOptions {
  // With a cluster, the root is hashed with that name and a new generation
  // of the cluster is recorded. Without, the root's cluster name is "" and
  // no generation is recorded (such a root is kept by gc only when pinned).
  std::optional<std::string> cluster;
  std::string message;
  std::string source_revision;
  int64_t time = 0;  // the generation's time, unix seconds
};

struct AddResult {
  Hash root;
  size_t resources = 0;
  size_t new_blobs = 0;
  size_t reused_blobs = 0;
  size_t new_nodes = 0;
  uint64_t raw_bytes = 0;      // canonical bytes of all resources
  uint64_t written_bytes = 0;  // compressed bytes of the new blobs
  std::optional<int64_t> generation;
};

// The first half of an add: the distinct blobs of a graph, compressed when
// the store did not have them when prepare_add looked. Refers to the graph,
// which must outlive it.
struct PreparedAdd {
  // Blob::dictionary value for "the dictionary trained by this add".
  static constexpr int64_t kNewDictionary = -1;
  struct Blob {
    Hash hash;
    size_t manifest = 0;     // index of a manifest with this blob
    std::string compressed;  // empty: the store had it (checked again on commit)
    int64_t dictionary = 0;  // dictionaries.id `compressed` needs (0: none)
  };
  const Graph* graph = nullptr;
  AddOptions options;
  std::vector<Blob> blobs;
  // A zstd dictionary trained by prepare_add (the store had none and enough
  // blobs exist); commit_add stores it first. Empty: none.
  std::string new_dictionary;
};

class Store {
 public:
  // Opens the store in `dir`, creating the directory and an empty database
  // on first use. Throws kIo when it cannot, kCorruption for a file that is
  // not a kix store, kConflict for a store of a newer schema version.
  static Store open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path database_file() const { return dir_ / "store.db"; }

  // Stores every manifest of `graph` with its references, the root and, with
  // a cluster, a new generation, in one transaction. Blobs already present
  // are not compressed again.
  // Equivalent to commit_add(prepare_add(graph, options)).
  AddResult add(const Graph& graph, const AddOptions& options);

  // The two halves of add(). prepare_add reads (no write lock) and
  // compresses; commit_add takes the write lock and inserts everything,
  // first checking again every blob prepare_add found present, since a
  // garbage collection may have deleted it in between.
  PreparedAdd prepare_add(const Graph& graph, const AddOptions& options);
  AddResult commit_add(PreparedAdd& prepared);

  // Records a new generation of `cluster` pointing at an existing root.
  Generation append_generation(const std::string& cluster, const Hash& root,
                               const std::string& message, const std::string& source_revision,
                               int64_t time);

  // A read transaction: every read made while it lives sees one state.
  sqlite::Transaction snapshot() {
    return sqlite::Transaction(db_, sqlite::Transaction::Mode::kRead);
  }

  // The root with its full node list (decoded when stored as a delta).
  // Throws kCorruption when a delta or its base is damaged or missing.
  std::optional<StoredRoot> find_root(const Hash& hash);
  // Inside a write transaction, before the roots `bases` are deleted:
  // stores every other root whose node list is a delta against one of
  // them as a full list, so that no surviving root needs a deleted one.
  void store_roots_in_full(const std::vector<Hash>& bases);
  std::optional<StoredNode> find_node(const Hash& hash);
  // Loads nodes in the order given; throws kCorruption naming a missing one.
  std::vector<StoredNode> load_nodes(const std::vector<Hash>& hashes);
  std::vector<StoredRef> refs_from(const Hash& node);
  std::vector<StoredRef> refs_to(const Hash& node);
  // Every node reachable from `start` (included), in ascending hash order.
  std::vector<Hash> closure(const std::vector<Hash>& start);

  bool has_blob(const Hash& blob);
  // The canonical JSON bytes of a blob, checked against its hash. Throws
  // kNotFound when absent and kCorruption when the bytes do not match.
  std::string read_blob(const Hash& blob);
  Json read_manifest(const Hash& blob);
  // Decompresses the data of a blobs row compressed with dictionary
  // `dictionary` (0: none) and checks it expands to `raw_size` bytes. Does
  // not check the hash. Throws kCorruption, also for a missing or damaged
  // dictionary.
  std::string decompress_blob(const Hash& blob, std::string_view data, size_t raw_size,
                              int64_t dictionary);

  // Roots and nodes whose hex starts with `hex_prefix` (at most `limit`).
  std::vector<std::pair<Hash, ObjectKind>> find_by_prefix(std::string_view hex_prefix,
                                                          size_t limit);

  std::vector<std::string> clusters();
  // All generations of a cluster, oldest first (empty for an unknown name).
  std::vector<Generation> generations(const std::string& cluster);
  std::optional<Generation> generation(const std::string& cluster, int64_t number);
  std::optional<Generation> current_generation(const std::string& cluster);
  std::vector<Generation> generations_of_root(const Hash& root);

  // Records that `root` (which must be stored; kNotFound otherwise) was
  // deployed to `cluster`, with the generation it belongs to. Appends no
  // generation.
  Deployment record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                               const std::string& context);
  // The most recently recorded deployment of `cluster`, if any.
  std::optional<Deployment> last_deployment(const std::string& cluster);
  // Every deployment of `cluster`, oldest first.
  std::vector<Deployment> deployments(const std::string& cluster);

  // Returns false when the object was already pinned (pin) or not pinned
  // (unpin). pin throws kNotFound when no such root or node exists.
  bool pin(const Hash& hash, ObjectKind kind, int64_t time);
  bool unpin(const Hash& hash);
  std::vector<Pin> pins();

  // For gc and verify, which work on the tables directly.
  sqlite::Database& database() { return db_; }
  ZstdCodec& codec() { return codec_; }

 private:
  Store(std::filesystem::path dir, sqlite::Database db);
  void initialize_schema();

  // find_root, also giving the number of deltas applied (when not null).
  std::optional<StoredRoot> load_root(const Hash& hash, int* depth);
  // The dictionary with this id, loaded once; nullptr for 0. Throws
  // kCorruption when it is missing or damaged.
  const ZstdDictionary* dictionary(int64_t id);
  // The dictionary the new blobs `fresh` should be compressed with and its
  // id (nullptr and 0: none). When the store has none and enough blobs
  // exist, trains one (prepared.new_dictionary, id kNewDictionary).
  const ZstdDictionary* dictionary_for_new_blobs(PreparedAdd& prepared,
                                                 const std::vector<std::string_view>& fresh,
                                                 int64_t& id);

  std::filesystem::path dir_;
  sqlite::Database db_;
  ZstdCodec codec_;
  std::map<int64_t, std::unique_ptr<ZstdDictionary>> dictionaries_;
};

// The sorted node list of a root as stored in roots.nodes, and back.
std::string pack_hashes(const std::vector<Hash>& hashes);
std::vector<Hash> unpack_hashes(std::string_view bytes);
// A root's node list as a delta against the (sorted) node list of its base
// (docs/store.md, "Root deltas"), and back. apply_delta throws kCorruption
// for a delta that does not fit the base.
std::string pack_delta(const std::vector<Hash>& base, const std::vector<Hash>& nodes);
std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta);

std::string_view object_kind_name(ObjectKind kind);  // "root" / "node"

}  // namespace kix
