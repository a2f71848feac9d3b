// Integrity check of the whole store: every blob is decompressed and
// re-hashed, every node hash recomputed from its blob and refs, every root
// hash from its nodes; generations and pins must point at existing roots.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "store/store.h"

namespace kix {

enum class ProblemKind {
  kCorruptBlob,    // does not decompress, or its content has another hash
  kMissingBlob,    // a node's blob is not stored
  kBadNode,        // the node hash does not match its blob and refs
  kWrongIdentity,  // the identity columns disagree with the manifest
  kMissingNode,    // a root or ref names a node that is not stored
  kBadRoot,        // the root hash does not match its cluster and nodes
  kMissingRoot,    // a generation or pin names a root that is not stored
};

struct VerifyProblem {
  VerifyProblem(ProblemKind k, std::string obj, std::string msg, std::vector<std::string> aff = {})
      : kind(k), object(std::move(obj)), message(std::move(msg)), affects(std::move(aff)) {}

  ProblemKind kind;
  std::string object;   // "blob <hex>", "node <hex>", "root <hex>", "generation prod@3"
  std::string message;  // what is wrong (never manifest content)
  // Resources ("Deployment/web @ shop (node <hex>)") and roots
  // ("root <hex> (prod@3)") whose hashes cover the bad object.
  std::vector<std::string> affects;
  bool repaired = false;
  std::string repair;  // what --repair did
};

struct VerifyOptions {
  // Fix what can be fixed: restore corrupt or missing blobs from `sources`,
  // rebuild identity columns from blobs, and delete broken objects that
  // nothing keeps alive.
  bool repair = false;
  const std::vector<Manifest>* sources = nullptr;  // for --repair --from PATH...
};

struct VerifyReport {
  size_t blobs = 0;
  size_t nodes = 0;
  size_t roots = 0;
  size_t generations = 0;
  size_t pins = 0;
  std::vector<VerifyProblem> problems;

  // True when every problem found was repaired (or none was found).
  bool ok() const;
};

VerifyReport verify_store(Store& store, const VerifyOptions& options);

}  // namespace kix
