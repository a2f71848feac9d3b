// The content-addressed store (docs/store.md): blobs, Merkle
// nodes, roots, per-cluster generations, pins and deployment records.
//
// Store is the interface every command works through. Two implementations:
//   SqliteStore  (store/sqlite_store.h)  the embedded default, one SQLite
//                database in a directory, safe for several processes;
//   MemoryStore  (store/memory_store.h)  everything in maps, for tests and
//                for callers that need a scratch store.
// Both keep the same invariants and pass the same contract tests
// (tests/unit/store_contract_test.cc).
//
// Invariants an implementation keeps:
//   - every write method is all-or-nothing: on an exception nothing of it
//     is visible;
//   - a node's blob, every node it references and every node a root lists
//     are stored whenever the node or root is (gc removes unreachable
//     objects only);
//   - hashes are never trusted from the caller: a Graph carries hashes it
//     computed itself, and imported closures are checked (store/archive.h).
//
// Errors: methods throw kix::Error. kNotFound for an object or cluster that
// is not stored where the method needs one, kInvalidInput for a malformed
// argument (a cluster name that could be mistaken for a hash), kCorruption
// when stored data does not match its hash or a listed object is missing,
// kIo when the operating system or database refuses.
//
// Thread-safety: a Store object is used by one thread at a time. Several
// SqliteStore objects (in one process or many) may use one directory at
// once; MemoryStore objects share nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "manifest/secret_seal.h"
#include "manifest/source_cache.h"
#include "store/graph_view.h"
#include "util/hash.h"

namespace kix {

// One stored resource: its Merkle hash, manifest blob and identity.
struct StoredNode {
  Hash hash;
  Hash blob;
  ResourceId id;

  bool operator==(const StoredNode&) const = default;
};

// A reference edge between two nodes and why it exists.
struct StoredRef {
  Hash from;
  Hash to;
  std::string reason;

  bool operator==(const StoredRef&) const = default;
};

// A whole build: the cluster name it was hashed with ("" when added without
// a cluster) and its nodes in ascending hash order.
struct StoredRoot {
  Hash hash;
  std::string cluster;
  std::vector<Hash> nodes;

  bool operator==(const StoredRoot&) const = default;
};

// One entry of a cluster's history. The cluster of a generation is the
// history it belongs to; its root may have been hashed with another name
// (a result directory added under a new name keeps the root it was written
// with).
struct Generation {
  std::string cluster;
  int64_t number = 0;  // 1, 2, ... in the order they were recorded
  Hash root;
  int64_t time = 0;  // unix seconds
  std::string message;
  std::string source_revision;

  bool operator==(const Generation&) const = default;
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
  // A deploy that stopped part-way: how many of the root's waves reached
  // the cluster. nullopt: every wave did.
  struct Partial {
    int64_t waves_applied = 0;
    int64_t waves_total = 0;
    bool operator==(const Partial&) const = default;
  };
  std::optional<Partial> partial;

  bool operator==(const Deployment&) const = default;
};

enum class ObjectKind { kRoot, kNode };

struct Pin {
  Hash hash;
  ObjectKind kind = ObjectKind::kRoot;
  int64_t time = 0;

  bool operator==(const Pin&) const = default;
};

// The canonical bytes of resources whose bytes an incremental add elided
// (GraphView::held_canonical), read back when the store needs them: a
// blob it does not have yet, or one a concurrent gc deleted meanwhile.
class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // The canonical bytes of manifest `index` of the graph being added. Throws
  // kix::Error when they cannot be read back.
  virtual std::string canonical(size_t index) const = 0;
};

// A resource's canonical bytes: held by the graph, or (elided) from
// `source`, checked against its blob hash. Throws kConflict when they no
// longer hash to it (the input changed during the add), kInternal when
// elided without source.
std::string canonical_bytes(const GraphView& graph, size_t index, const BlobSource* source);

struct AddOptions {
  // The name the root is hashed with. When unset, `cluster` (or "" without
  // one). A result directory brings its own (manifest/result_dir.h), so
  // adding it under another cluster name keeps the root that wrote it.
  std::optional<std::string> root_cluster;
  // With a cluster, a new generation of that cluster is recorded. Without,
  // no generation is recorded (such a root is kept by gc only when pinned).
  std::optional<std::string> cluster;
  std::string message;
  std::string source_revision;
  int64_t time = 0;  // the generation's and the pin's time, unix seconds
  bool pin = false;  // also pin the root, in the same transaction
  // Sources (manifest/source_cache.h) the build read: recorded as used by
  // the root, so gc keeps them while it keeps the root. Each must be kept
  // already; kNotFound otherwise.
  std::vector<Hash> sources;
  // Where elided resources' bytes come from (nullptr: none are elided).
  // Must outlive the add.
  const BlobSource* blob_source = nullptr;
  // Compressed new blobs a SqliteStore holds in memory between compressing
  // them (before the write lock) and inserting them; the rest wait in a
  // temporary file (util/spool_file.h).
  size_t memory_budget_bytes = 1u << 20;
};

struct AddResult {
  Hash root;
  size_t resources = 0;
  size_t new_blobs = 0;
  size_t reused_blobs = 0;
  size_t new_nodes = 0;
  uint64_t raw_bytes = 0;      // canonical bytes of all resources
  uint64_t written_bytes = 0;  // bytes of the new blobs as stored
  std::optional<int64_t> generation;
  bool pinned = false;  // the root was pinned by this add (not before)
};

// A request to record a generation of an existing root.
struct GenerationRequest {
  std::string cluster;
  Hash root;
  std::string message;
  std::string source_revision;
  int64_t time = 0;
};

// A validated closure: roots, nodes, refs and blobs whose every hash was
// recomputed from content (store/archive.h builds and checks them).
class Closure;
struct ImportOptions {
  bool pin = false;  // pin the closure's roots, in the same transaction
  int64_t time = 0;  // the pins' time, unix seconds
  // The closure's history goes in under this cluster name (`--as NAME`);
  // it must carry one cluster's history at most.
  std::optional<std::string> history_as;
};
struct ImportResult {
  size_t roots = 0;  // new roots
  size_t nodes = 0;  // new nodes
  size_t new_blobs = 0;
  size_t reused_blobs = 0;
  // History entries the store did not have (store/history.h).
  size_t generations = 0;
  size_t deployments = 0;
  size_t pins = 0;
};

struct GcOptions;
struct GcResult;
struct VerifyOptions;
struct VerifyReport;

// A stored root loaded as a graph (Store::load_graph).
struct RootGraph {
  Hash root;
  std::string cluster;  // the name the root is hashed with
  Graph graph;
};

// Ends a read snapshot when destroyed.
class ReadSnapshot {
 public:
  virtual ~ReadSnapshot() = default;
};

class Store : public SourceCache {
 public:
  ~Store() override = default;

  // "store /home/me/.local/share/kix/store", "in-memory store": for messages.
  virtual std::string describe() const = 0;

  // --- Writing ------------------------------------------------------------

  // Stores every manifest of `graph` with its references, the root and,
  // with options.cluster, a new generation (and with options.pin a pin), in
  // one transaction. Blobs already present are not written again; a
  // Secret's blob is its hash form and its values go in sealed (the graph's
  // Secrets must be sealed: build_graph and the ingest's CompactGraph see
  // to it). Throws kInvalidInput
  // for an invalid cluster name (check_cluster_name).
  virtual AddResult add(const GraphView& graph, const AddOptions& options) = 0;
  AddResult add(const Graph& graph, const AddOptions& options) {
    return add(ManifestGraphView(graph), options);
  }

  // Records a new generation pointing at an existing root (rollback).
  // Throws kNotFound when the root is not stored.
  virtual Generation append_generation(const GenerationRequest& request) = 0;

  // Records that `root` (which must be stored; kNotFound otherwise) was
  // deployed to `cluster`, with the generation it belongs to; with
  // `partial`, that only some of its waves were. Appends no generation.
  virtual Deployment record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                                       const std::string& context,
                                       std::optional<Deployment::Partial> partial) = 0;
  Deployment record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                               const std::string& context) {
    return record_deployment(cluster, root, time, context, std::nullopt);
  }

  // Returns false when the object was already pinned (pin) or not pinned
  // (unpin). pin throws kNotFound when no such root or node exists.
  virtual bool pin(const Hash& hash, ObjectKind kind, int64_t time) = 0;
  virtual bool unpin(const Hash& hash) = 0;

  // Stores a validated closure in one transaction, with options.pin also
  // pinning its roots, and merges the history it carries into the store's
  // (plan_history_merge in store/history.h): throws kConflict, storing
  // nothing, when a carried generation differs from the store's of the
  // same number.
  virtual ImportResult import_closure(const Closure& closure,
                                      const ImportOptions& options = {}) = 0;

  // --- Reading ------------------------------------------------------------

  // Every read made while the returned object lives sees one state.
  [[nodiscard]] virtual std::unique_ptr<ReadSnapshot> snapshot() = 0;

  // The root with its full node list. Throws kCorruption when its stored
  // form cannot be decoded.
  virtual std::optional<StoredRoot> find_root(const Hash& hash) = 0;
  virtual std::optional<StoredNode> find_node(const Hash& hash) = 0;
  // Loads nodes in the order given; throws kCorruption naming a missing one.
  virtual std::vector<StoredNode> load_nodes(const std::vector<Hash>& hashes) = 0;
  virtual std::vector<StoredRef> refs_from(const Hash& node) = 0;
  virtual std::vector<StoredRef> refs_to(const Hash& node) = 0;
  // Every node reachable from `start` (included), in ascending hash order.
  virtual std::vector<Hash> closure(const std::vector<Hash>& start) = 0;

  virtual bool has_blob(const Hash& blob) = 0;
  // The canonical JSON bytes of a blob, checked against its hash. Throws
  // kNotFound when absent and kCorruption when the bytes do not match. A
  // Secret's blob is its hash form (docs/secrets.md); one sealed by the
  // upgrade from kix 0.1.0 (legacy) cannot be checked without the key and
  // is returned as it is.
  virtual std::string read_blob(const Hash& blob) = 0;
  // The sealed values of a Secret's blob, or nullopt for other blobs.
  virtual std::optional<SealedSecret> sealed_secret(const Hash& blob) = 0;
  // read_blob, parsed.
  Json read_manifest(const Hash& blob);
  // The parsing half of read_manifest, for bytes read_blob returned; any
  // thread. Throws kCorruption when they are not JSON.
  static Json parse_manifest(const Hash& blob, std::string_view raw);

  // Roots and nodes whose hex starts with `hex_prefix` (at most `limit`),
  // roots first, each kind in ascending order.
  virtual std::vector<std::pair<Hash, ObjectKind>> find_by_prefix(std::string_view hex_prefix,
                                                                  size_t limit) = 0;

  // Names of the clusters that have generations, in ascending order.
  virtual std::vector<std::string> clusters() = 0;
  // All generations of a cluster, oldest first (empty for an unknown name).
  virtual std::vector<Generation> generations(const std::string& cluster) = 0;
  virtual std::optional<Generation> generation(const std::string& cluster, int64_t number) = 0;
  virtual std::optional<Generation> current_generation(const std::string& cluster) = 0;
  // Generations of any cluster whose root is `root`, by cluster and number.
  virtual std::vector<Generation> generations_of_root(const Hash& root) = 0;

  // The latest deployment of `cluster` (by time, then as recorded), if any.
  virtual std::optional<Deployment> last_deployment(const std::string& cluster) = 0;
  // Every deployment of `cluster`, oldest first (by time, then as
  // recorded: imported records keep their own times).
  virtual std::vector<Deployment> deployments(const std::string& cluster) = 0;

  // Every pin, in ascending hash order.
  virtual std::vector<Pin> pins() = 0;
  bool is_pinned(const Hash& hash);

  // A root's resources as a Graph: its manifests (in ascending node hash
  // order), the stored reference edges between them with their reasons,
  // and the node hashes, which are recomputed and checked (kCorruption when
  // they differ). Secrets get their values back when `keys` holds their key
  // (Manifest::values_known says which did). Throws kNotFound when the root
  // is not stored.
  RootGraph load_graph(const Hash& root, SecretKeyring* keys = nullptr);
  // One blob as a Manifest, a Secret with its values when `keys` holds its
  // key (as load_graph). `where` names it in errors.
  Manifest load_manifest(const Hash& blob, SecretKeyring* keys, const std::string& where);

  // --- Maintenance (store/gc.h, store/verify.h) ---------------------------

  // Deletes what no kept generation, pin or last deployment keeps alive.
  // Throws kCorruption, deleting nothing, when what it must keep is
  // incomplete or damaged (a kept root lists a missing node, a kept node's
  // blob is missing, the database fails its own check): gc never decides
  // liveness on damaged data.
  virtual GcResult collect_garbage(const GcOptions& options) = 0;

  // Re-hashes every object and checks every link; with options.repair,
  // fixes what can be derived.
  virtual VerifyReport verify(const VerifyOptions& options) = 0;
};

std::string_view object_kind_name(ObjectKind kind);  // "root" / "node"

}  // namespace kix
