// Garbage collection: deletes what no generation or pin keeps alive.
#pragma once

#include <cstdint>
#include <optional>

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
  uint64_t blob_bytes = 0;  // compressed bytes of the deleted blobs
  uint64_t raw_bytes = 0;   // their uncompressed size
  // What remains.
  size_t kept_roots = 0;
  size_t kept_nodes = 0;
  size_t kept_blobs = 0;
};

// Mark and sweep in one write transaction: the live set is computed from
// generations and pins with the whole graph loaded into memory once, then
// everything else is deleted. Because it holds the store's write lock from
// the first read to the last delete, an add either committed before (its
// root is then kept by its generation or pin) or waits until gc is done.
GcResult collect_garbage(Store& store, const GcOptions& options);

// Parses "30d", "12h", "45m", "90s", "2w" into seconds. Throws
// kInvalidInput naming the text otherwise.
int64_t parse_duration(const std::string& text);

}  // namespace kix
