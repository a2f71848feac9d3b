// Integrity check of a whole store (`kix store verify`, docs/store.md):
// every blob decompressed and re-hashed and checked to be the canonical
// JSON of a manifest, every node hash recomputed from its blob and refs,
// every root hash from its cluster name and nodes; generations, pins and
// deployment records must point at stored roots; and the database passes
// its own check (SQLite's integrity_check for SqliteStore).
//
// The checks are made here, once, for every Store implementation: the store
// loads a VerifyContents from its tables (never through indexes it has not
// checked), check_store_contents names each problem and plans its repair,
// and with VerifyOptions::repair the store applies the planned repairs in
// the same transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "manifest/manifest.h"
#include "store/store.h"

namespace kix {

enum class ProblemKind {
  kCorruptBlob,    // does not decompress, has another hash, or is not a canonical manifest
  kMissingBlob,    // a node's blob is not stored
  kBadNode,        // the node hash does not match its blob and refs
  kWrongIdentity,  // the identity columns disagree with the manifest
  kMissingNode,    // a root or ref names a node that is not stored
  kBadRoot,        // the root hash does not match its cluster and nodes
  kMissingRoot,    // a generation, pin or deployment names a root that is not stored
  kDatabase,       // the database fails its own consistency check
  kCorruptSource,  // a source (manifest/source_cache.h) does not hash to its name
};

// A repair verify can make, planned by check_store_contents and applied by
// the store.
struct Repair {
  enum class Action {
    kRestoreBlob,        // store `canonical` as blob `hash`
    kDeleteBlob,         // no node uses it
    kRewriteIdentity,    // set node `hash`'s identity to `identity`
    kDeleteNode,         // and its outgoing refs; nothing keeps it
    kDeleteRoot,         // nothing keeps it
    kDeletePin,          // it pins nothing
    kDeleteDeployments,  // the records of root `hash`, which is gone
    kRebuildIndexes,     // the tables are sound, an index is not
    kDeleteSource,       // a damaged source: the next build that needs it fetches it again
  };
  Action action;
  Hash hash;
  ResourceId identity;      // kRewriteIdentity
  std::string canonical;    // kRestoreBlob
  std::string description;  // what was done, for the report
  std::shared_ptr<const SealedSecret> sealed =
      nullptr;  // kRestoreBlob of a Secret: its sealed values
};

struct VerifyProblem {
  VerifyProblem(ProblemKind k, std::string obj, std::string msg, std::vector<std::string> aff = {})
      : kind(k), object(std::move(obj)), message(std::move(msg)), affects(std::move(aff)) {}

  ProblemKind kind;
  std::string object;   // "blob <hex>", "node <hex>", "root <hex>", "generation prod@3", "database"
  std::string message;  // what is wrong (never manifest content)
  // Resources ("Deployment/web @ shop (node <hex>)") and roots
  // ("root <hex> (prod@3)") whose hashes cover the bad object.
  std::vector<std::string> affects;
  std::optional<Repair> fix;  // what --repair would do; none: it cannot be repaired
  bool repaired = false;
  std::string repair;  // what --repair did, or why it could not
};

struct VerifyOptions {
  // Fix what can be fixed: restore corrupt or missing blobs from `sources`,
  // rebuild identity columns from blobs and indexes from tables, and delete
  // broken objects that nothing keeps alive.
  bool repair = false;
  const std::vector<Manifest>* sources = nullptr;  // for --repair --from PATH...
  // The secret key, to open every sealed Secret and check its values
  // against its hash form; without it only the hash forms are checked.
  SecretKeyring* keys = nullptr;
};

struct VerifyReport {
  size_t blobs = 0;
  size_t nodes = 0;
  size_t roots = 0;
  size_t generations = 0;
  size_t pins = 0;
  size_t deployments = 0;
  size_t secrets = 0;                   // sealed Secrets
  size_t secrets_unopened = 0;          // of those, not opened for want of their key
  size_t sources = 0;                   // sources (Helm chart archives)
  std::vector<VerifyProblem> problems;  // ordered by object

  // True when every problem found was repaired (or none was found).
  bool ok() const;
};

// What the store's own check of one blob found.
struct BlobState {
  bool ok = false;
  ResourceId identity;    // when ok
  std::string problem;    // when not ok (never content)
  bool secret = false;    // a sealed Secret
  bool unopened = false;  // a sealed Secret whose values were not checked (no key)
};

// Checks the decompressed bytes of blob `hash`: they hash to it and are the
// RFC 8785 canonical JSON of a manifest (an object with apiVersion, kind and
// metadata.name). A Secret's blob must be its hash form (every value an
// HMAC, never plaintext) with its values `sealed`; with `keys` holding their
// key the envelope is opened and checked too. A legacy Secret (sealed by the
// upgrade, its hash the plaintext's) is checked only with its key.
BlobState check_blob_bytes(const Hash& hash, std::string_view raw,
                           const SealedSecret* sealed = nullptr, SecretKeyring* keys = nullptr);

// A store's contents, loaded from its tables.
struct VerifyContents {
  std::vector<StoredNode> nodes;
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> refs;  // src -> dsts
  // Edges whose target is not stored: the source, and the number the
  // SQLite store gave the target (store/schema.sql, nodes.id).
  std::vector<std::pair<Hash, int64_t>> dangling_refs;
  std::vector<StoredRoot> roots;
  std::vector<std::pair<Hash, std::string>> undecodable_roots;  // root, why
  std::vector<Generation> generations;
  std::vector<Pin> pins;
  std::vector<Deployment> deployments;
  std::unordered_map<Hash, BlobState, HashHasher> blobs;
  // Every source, and whether its bytes hash to its name.
  std::vector<std::pair<Hash, bool>> sources;
  // What the database's own check reported (empty: sound), and whether
  // every problem is in an index (the tables are sound, REINDEX fixes it).
  std::vector<std::string> database_problems;
  bool only_indexes_damaged = false;
};

// Names every problem and plans its repair (VerifyProblem::fix; for a
// problem without one, `repair` says why). Applies nothing.
VerifyReport check_store_contents(const VerifyContents& contents, const VerifyOptions& options);

}  // namespace kix
