// Node and root hashes (docs/hashing.md).
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "util/hash.h"

namespace kix {

class SecretKeyring;  // manifest/secret_seal.h

// sha256(canonical({"v":1,"manifest":"<blob hex>","refs":[<node hex>...]}))
// with refs sorted and unique (the function sorts a copy).
Hash node_hash(const Hash& blob, std::vector<Hash> refs);
// sha256(canonical({"v":1,"cluster":"<name>","resources":[<node hex>...]}))
// with resources sorted and unique (computed without copying `nodes`).
Hash root_hash(const std::string& cluster, const std::vector<Hash>& nodes);

// A set of manifests with their reference edges and Merkle hashes.
struct Graph {
  std::vector<Manifest> manifests;
  std::vector<std::vector<size_t>> refs;              // per manifest, indices it references
  std::vector<std::vector<std::string>> ref_reasons;  // parallel to refs
  std::vector<Hash> nodes;                            // node hash per manifest
  std::vector<std::string> warnings;                  // e.g. broken reference cycles

  Hash root(const std::string& cluster) const { return root_hash(cluster, nodes); }
};

// Computes node hashes bottom-up. References that would close a cycle are
// dropped deterministically (the edge from the smaller identity key to the
// larger is kept) and reported in `warnings`, since a Merkle DAG cannot hold
// a cycle. Throws kInvalidInput for an out-of-range index, kInternal for a
// Secret that was not sealed (Manifest::needs_sealing).
Graph build_graph(std::vector<Manifest> manifests, std::vector<std::vector<size_t>> refs,
                  std::vector<std::vector<std::string>> reasons = {});

// Plain manifests: seals their Secrets with `keys` (seal_manifests in
// manifest/secret_seal.h), infers references, then builds the graph.
Graph build_graph_inferred(std::vector<Manifest> manifests, SecretKeyring* keys = nullptr);

}  // namespace kix
