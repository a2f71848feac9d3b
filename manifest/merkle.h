// Node and root hashes (docs/hashing.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/edge_list.h"
#include "manifest/manifest.h"
#include "util/hash.h"
#include "util/spill_heap.h"

namespace kix {

class SecretKeyring;  // manifest/secret_seal.h

// sha256(canonical({"v":1,"manifest":"<blob hex>","refs":[<node hex>...]}))
// with refs sorted and unique (the function sorts a copy).
Hash node_hash(const Hash& blob, std::vector<Hash> refs);
// sha256(canonical({"v":1,"cluster":"<name>","resources":[<node hex>...]}))
// with resources sorted and unique (computed without copying `nodes`).
// `memory`, when not null, is the working memory `nodes` are in: told of
// each page read, so that spilled pages read back do not stay mapped.
Hash root_hash(const std::string& cluster, std::span<const Hash> nodes,
               SpillHeap* memory = nullptr);
inline Hash root_hash(const std::string& cluster, const std::vector<Hash>& nodes) {
  return root_hash(cluster, std::span<const Hash>(nodes));
}
// The positions of `nodes` in hash order, the first of equal hashes only:
// a root's resources without a sorted copy of them (4 bytes each, not 32).
// Throws kInternal for 2^32 nodes or more.
std::vector<uint32_t> sorted_unique_positions(std::span<const Hash> nodes);

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
// a cycle. Throws kInternal for an out-of-range index or a Secret that was
// not sealed (Manifest::needs_sealing).
Graph build_graph(std::vector<Manifest> manifests, std::vector<std::vector<size_t>> refs,
                  std::vector<std::vector<std::string>> reasons = {});

// The two halves of build_graph's work, for any representation of a graph
// (a compact one's: store/compact_graph.h).
//
// Each of `count` resources' rank in (identity key, blob) order; equal
// pairs share a rank, so comparing ranks compares the pairs. The keys are
// held only while they are sorted. `blob` (here and below) must return a
// reference that stays valid: a lambda declared `-> const Hash&`, since
// one returning a Hash by value would hand back a dangling reference.
// `memory` (here and below), when given, holds the working arrays and the
// result, and is told as they are read (util/spill_heap.h); else they are
// on the default heap.
std::pmr::vector<uint32_t> identity_ranks(size_t count,
                                          const std::function<std::string(size_t)>& key,
                                          const std::function<const Hash&(size_t)>& blob,
                                          SpillHeap* memory = nullptr);
// Orders each resource's edges by their target's rank (ties in input
// order) and drops self edges and repeats (the first is kept); then visits
// the resources in rank order depth-first, dropping each edge that would
// close a cycle (handed to `dropped` as it is found), and returns the node
// hashes. `edges` is left holding the edges kept. Throws kInternal for a
// target out of range or more edges than 32 bits count.
std::pmr::vector<Hash> merkle_nodes(
    std::span<const uint32_t> rank, const std::function<const Hash&(size_t)>& blob, EdgeList& edges,
    const std::function<void(size_t from, size_t to, uint32_t reason)>& dropped,
    SpillHeap* memory = nullptr);

// The warning for an edge merkle_nodes() dropped, naming both ends.
std::string cycle_warning(const std::string& from, const std::string& to, std::string_view reason);

// Plain manifests: seals their Secrets with `keys` (seal_manifests in
// manifest/secret_seal.h), infers references, then builds the graph.
Graph build_graph_inferred(std::vector<Manifest> manifests, SecretKeyring* keys = nullptr);

}  // namespace kix
