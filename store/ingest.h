// Reading plain manifests for `kix store add`, in time proportional to what
// changed and in memory that does not grow with the parsed documents
// (docs/store.md, "Incremental add").
//
// ingest_manifests() gives the graph load_manifests(),
// check_unique_identities() and build_graph_inferred() together give (same
// resources in the same order, same references, same hashes), as a
// CompactGraph (store/compact_graph.h): no Manifest record, no parsed
// `value`, and canonical bytes only while they fit a memory budget:
//   - a file whose identity matches the cache (store/ingest_cache.h) is not
//     read: its documents come from the cache, bytes elided;
//   - the other files are read and parsed on every core, in order, a
//     bounded window of files ahead of the consumer; each document's
//     reference facts are extracted and its parsed value dropped at once,
//     and canonical bytes beyond the budget go to an unlinked temporary
//     file (the spool) instead of memory.
// The returned Ingest is the BlobSource (store/store.h) that gives elided
// bytes back: from the spool, or by reading a cached file again (a store
// needs that only when a blob the cache promised is gone, e.g. collected by
// a gc since).
//
// Errors: as load_manifests() and build_graph_inferred() (the first
// failing file in input order decides), plus kIo when the spool cannot be
// written. Nothing is written to any store here; the new stat cache is
// written beside the cache file (IngestCache::stage) and renamed into place
// only by save_cache().
// Thread-safety: one Ingest per thread; it runs its own workers inside
// ingest_manifests() and none after it returns.
#pragma once

#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "manifest/document.h"
#include "store/compact_graph.h"
#include "store/ingest_cache.h"
#include "store/store.h"
#include "util/diagnostics.h"
#include "util/spool_file.h"

namespace kix {

// What an ingest caches and how it reads; part of the cache's version tag.
// 2: block and quoted YAML scalars read by kix itself (manifest/block_scalar.h,
// quoted_scalar.h), so hashes cached by a reader that took libfyaml's text
// are not trusted.
inline constexpr const char* kIngestFormat = "2";

struct IngestOptions {
  // The stat cache; empty: none (every file is read).
  std::filesystem::path cache_file;
  std::string version_tag;  // names the reader (kix's version), see IngestCache
  bool reread = false;      // read every file; the cache is only refreshed
  SecretKeyring* keys = nullptr;
  ParseOptions parse;
  // Canonical bytes kept in memory before the rest goes to the spool; the
  // same again for the encoded reference facts of the files read (counted
  // in the 256 KB blocks of their arena).
  size_t memory_budget_bytes = 1u << 20;
  // What the graph and the add hold per file and per resource is ordinary
  // memory up to this much; beyond it, it spills to a temporary file beside
  // the spool (util/spill_heap.h), of which about half this much more
  // stays mapped: about 1.5 times this much is resident.
  // $KIX_WORKING_MEMORY.
  size_t working_memory_bytes = CompactGraph::kDefaultWorkingMemory;
  // Where the spool is created; empty: $TMPDIR, else /tmp.
  std::filesystem::path spool_dir;
  // Told after each file, on the calling thread: files done, files listed.
  std::function<void(size_t files_done, size_t files_total)> progress;
};

struct IngestStats {
  size_t files = 0;                  // files listed
  size_t cached_files = 0;           // taken from the cache, not read
  size_t read_files = 0;             // read and parsed (stdin counts as one)
  uint64_t spooled_bytes = 0;        // canonical bytes
  uint64_t spooled_facts_bytes = 0;  // encoded reference facts
};

class Ingest final : public BlobSource {
 public:
  ~Ingest() override;
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  const CompactGraph& graph() const { return graph_; }
  const IngestStats& stats() const { return stats_; }
  std::string canonical(size_t index) const override;

  // Records what this ingest read in the cache file, for the next one:
  // renames into place what ingest_manifests() wrote beside it. Call only
  // after the store took the graph: the cache promises blobs. Throws
  // kix::Error(kIo) (or what else writing it threw) when the cache could
  // not be written; an Ingest destroyed without saving removes what it
  // wrote.
  void save_cache();

 private:
  friend std::unique_ptr<Ingest> ingest_manifests(const std::vector<std::string>& paths,
                                                  Diagnostics& diags, const IngestOptions& options);
  explicit Ingest(const IngestOptions& options)
      : graph_(options.spool_dir, options.working_memory_bytes), options_(options) {}
  // Created on first use; a note says when it cannot be a file.
  SpoolFile& spool(Diagnostics& diags);
  // Notes, once per ingest, that a spool keeps its bytes in memory.
  void note_fallback(const SpoolFile& spool, Diagnostics& diags);

  CompactGraph graph_;
  IngestStats stats_;
  IngestOptions options_;
  std::unique_ptr<SpoolFile> spool_;
  std::unique_ptr<IngestCache> cache_;
  std::exception_ptr cache_failure_;  // staging the cache failed
  bool fallback_noted_ = false;
  // The canonical bytes of the cached file canonical() read last, by key.
  mutable size_t reread_file_ = SIZE_MAX;  // CompactGraph's file index
  mutable std::unordered_map<std::string, std::string> reread_;
};

std::unique_ptr<Ingest> ingest_manifests(const std::vector<std::string>& paths, Diagnostics& diags,
                                         const IngestOptions& options);

}  // namespace kix
