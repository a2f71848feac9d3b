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
//
// Nodes and blobs are named by their position in `nodes` and `blobs`
// (any order, each stored object once): marking then works on arrays
// instead of maps of 32-byte keys, and the plan hands the dead ones back
// by position, so a store deletes them by the row numbers it read them
// with and never looks a hash up again.
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

  std::vector<Hash> nodes;       // every node
  std::vector<Hash> node_blobs;  // parallel to nodes: each one's blob
  // References, as positions in `nodes`, in compressed rows: node i
  // references ref_targets[ref_starts[i]] up to ref_targets[ref_starts[i + 1]]
  // (exclusive). ref_starts has nodes.size() + 1 entries, or none when no
  // node references anything.
  std::vector<uint32_t> ref_starts;
  std::vector<uint32_t> ref_targets;
  // Edges whose target is not stored: the source's position, and the
  // store's number of the lost target (store/schema.sql, nodes.id; -1 for
  // a store that numbers no nodes).
  std::vector<std::pair<uint32_t, int64_t>> dangling_refs;

  std::vector<Hash> blobs;                                               // every blob
  std::vector<BlobSize> blob_sizes;                                      // parallel to blobs
  std::unordered_map<Hash, uint64_t, HashHasher> sources;                // every source -> its size
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> root_sources;  // root -> sources

  // Fills ref_starts and ref_targets from (source, target) position pairs,
  // in any order. Throws kInternal for a position out of range, leaving the
  // snapshot as it was.
  void set_refs(std::vector<std::pair<uint32_t, uint32_t>> edges);
};

struct GcPlan {
  std::vector<Generation> expired_generations;
  std::vector<Hash> dead_roots;
  std::vector<Hash> dead_nodes;  // sorted; their outgoing refs go with them
  std::vector<uint32_t>
      dead_node_positions;       // the same nodes' positions in the snapshot, ascending
  std::vector<Hash> dead_blobs;  // sorted
  std::vector<uint32_t> dead_blob_positions;  // their positions in the snapshot, ascending
  std::vector<Hash> dead_sources;             // used by no kept root
  GcResult result;                            // the counts, as if the plan were applied
};

// Decides what to delete. Throws kInvalidInput for options out of range,
// kCorruption (see above) when the kept data is damaged, and kInternal for
// a snapshot whose parallel arrays or positions do not match.
GcPlan plan_gc(const GcSnapshot& snapshot, const GcOptions& options);

// Parses "30d", "12h", "45m", "90s", "2w" into seconds. Throws
// kInvalidInput naming the text otherwise.
int64_t parse_duration(const std::string& text);

}  // namespace kix
