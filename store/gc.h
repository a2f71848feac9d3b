// Garbage collection (docs/store.md, "Garbage collection"): what no kept
// generation, pin or last deployment reaches is deleted.
//
// The decision is made here, once, for every Store implementation:
// plan_gc reads a GcSnapshot (the store's contents, loaded by the store
// inside the write transaction it will delete in) and returns a GcPlan
// that the store applies. Liveness is never decided on damaged data: a kept
// root that cannot be decoded or that lists a missing node, a kept node
// that references a missing node or whose blob is missing, and a kept
// generation, pin or deployment whose root is missing make plan_gc throw
// kCorruption naming the first such object, so nothing is deleted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace kix {

struct GcOptions {
  bool dry_run = false;  // compute and report, delete nothing
  // Which generations survive. Without either option every generation is
  // kept; with one or both, a generation survives when it is among its
  // cluster's last `keep_generations` or newer than `older_than_seconds`.
  // A cluster's current generation always survives.
  std::optional<int64_t> keep_generations;
  std::optional<int64_t> older_than_seconds;
  int64_t now = 0;  // unix seconds, for older_than_seconds
};

struct GcResult {
  // What was (or, with dry_run, would be) deleted.
  size_t generations = 0;
  size_t roots = 0;
  size_t nodes = 0;
  size_t refs = 0;
  size_t blobs = 0;
  uint64_t blob_bytes = 0;    // stored bytes of the deleted blobs
  uint64_t raw_bytes = 0;     // their canonical size
  size_t sources = 0;         // sources no kept root used (manifest/source_cache.h)
  uint64_t source_bytes = 0;  // their size
  // What remains.
  size_t kept_roots = 0;
  size_t kept_nodes = 0;
  size_t kept_blobs = 0;
};

// The store's contents as gc needs them. Loaded by the store from its
// tables, never from indexes it has not checked.
struct GcSnapshot {
  struct BlobSize {
    uint64_t stored = 0;
    uint64_t raw = 0;
  };
  std::vector<Generation> generations;  // cluster, number, root and time are used
  std::vector<Pin> pins;
  std::vector<Hash> deployed_roots;  // the last deployment of each cluster
  std::vector<Hash> roots;           // every stored root
  // The node list of a stored root; throws kCorruption when it cannot be
  // decoded. Only called for roots gc keeps.
  std::function<std::vector<Hash>(const Hash&)> root_nodes;
  std::unordered_map<Hash, Hash, HashHasher> node_blobs;         // node -> blob, every node
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> refs;  // src -> dsts
  // Edges whose target is not stored: the source, and the store's number
  // of the lost target (store/schema.sql, nodes.id).
  std::vector<std::pair<Hash, int64_t>> dangling_refs;
  std::unordered_map<Hash, BlobSize, HashHasher> blobs;                  // every blob
  std::unordered_map<Hash, uint64_t, HashHasher> sources;                // every source -> its size
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> root_sources;  // root -> sources
};

struct GcPlan {
  std::vector<Generation> expired_generations;
  std::vector<Hash> dead_roots;
  std::vector<Hash> dead_nodes;  // their outgoing refs go with them
  std::vector<Hash> dead_blobs;
  std::vector<Hash> dead_sources;  // used by no kept root
  GcResult result;                 // the counts, as if the plan were applied
};

// Decides what to delete. Throws kInvalidInput for options out of range and
// kCorruption (see above) when the kept data is damaged.
GcPlan plan_gc(const GcSnapshot& snapshot, const GcOptions& options);

// Parses "30d", "12h", "45m", "90s", "2w" into seconds. Throws
// kInvalidInput naming the text otherwise.
int64_t parse_duration(const std::string& text);

}  // namespace kix
