// The graph an incremental add (store/ingest.h) builds and hands to
// Store::add: per resource its identity (encoded in an arena), where it was
// read, its blob hash, canonical size, node hash and edges in one list.
// About 190 bytes per resource (an 80-byte record, the node hash, the
// name, the file's name, the edges), where a Manifest record with its
// strings and a vector of targets and of reason strings took about 540:
// apiVersion and kind, namespaces and the directories of files are held
// once each, since many resources share them.
//
// Canonical bytes are held in memory only while the ingest's budget
// allows (hold()); the others are elided, and the Ingest gives them back
// from its spool or by reading the file again (place()).
//
// Built by one thread: add_file(), add() and add_unsealed() in input
// order, then hold(), spooled() and seal() as the bytes are placed, then
// hash() once. Errors: kInvalidInput for 2^32 resources or more, a name,
// file name or canonical form of 4 GB or more; kInternal for 2^32 files
// or distinct strings; hash() as merkle_nodes(). Read-only afterwards,
// by one thread at a time: reads count accesses for the working memory.
// What grows with the resources lives in that working memory
// (working_memory(), util/spill_heap.h), which spills to a temporary file
// beyond its budget.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "manifest/edge_list.h"
#include "store/graph_view.h"
#include "util/byte_arena.h"
#include "util/spill_heap.h"

namespace kix {

class CompactGraph final : public GraphView {
 public:
  enum class Place : uint8_t {
    kInFile,    // not held: read the file again
    kHeld,      // held_canonical() has them
    kSpooled,   // at spool_offset() in the ingest's spool
    kUnsealed,  // a Secret with values, until seal()
  };

  // What a graph keeps in ordinary memory before it spills
  // (util/spill_heap.h): an add of up to about 50,000 resources keeps
  // nearly all of its working memory there.
  static constexpr size_t kDefaultWorkingMemory = size_t{16} << 20;

  // Spills to a temporary file in `spill_dir` (empty: $TMPDIR, else /tmp)
  // beyond `working_memory` bytes.
  explicit CompactGraph(const std::filesystem::path& spill_dir = {},
                        size_t working_memory = kDefaultWorkingMemory);
  // Its containers live in its own working memory: not copied or moved.
  CompactGraph(const CompactGraph&) = delete;
  CompactGraph& operator=(const CompactGraph&) = delete;

  // --- Building -------------------------------------------------------------

  // Room for `resources` records.
  void reserve(size_t resources);
  // A file the next resources come from; its index.
  uint32_t add_file(std::string_view path);
  // Appends a resource of `file` at line:column, its bytes in the file
  // until hold() or spooled() says otherwise; its index.
  size_t add(const ResourceId& id, uint32_t file, int line, int column, const Hash& blob,
             uint64_t canonical_size);
  // Appends a Secret with values, which seal() must replace before hash():
  // nothing of its plaintext (not even its hash) is kept.
  size_t add_unsealed(const ResourceId& id, uint32_t file, int line, int column);
  void hold(size_t i, std::string_view canonical);
  void spooled(size_t i, uint64_t offset);
  // A Secret sealed after it was added: its hash form (held) and sealed
  // values replace what it was added with.
  void seal(size_t i, std::string_view hash_form, const Hash& blob,
            std::shared_ptr<const SealedSecret> sealed);
  // Orders the edges and computes the node hashes (manifest/merkle.h);
  // `reasons` gives meaning to the edges' reason numbers. Cycles broken
  // are reported in warnings(). Throws kInternal while a Secret added
  // unsealed was not sealed.
  void hash(EdgeList edges, std::vector<std::string> reasons);

  // --- Reading --------------------------------------------------------------

  Place place(size_t i) const {
    heap_->touch();
    return resources_[i].place;
  }
  uint64_t spool_offset(size_t i) const { return resources_[i].offset; }
  std::string file(size_t i) const;
  uint32_t file_index(size_t i) const { return resources_[i].file; }

  size_t size() const override { return resources_.size(); }
  ResourceIdView id(size_t i) const override;
  SourceLocation location(size_t i) const override;
  const Hash& blob(size_t i) const override {
    heap_->touch();
    return resources_[i].blob;
  }
  std::span<const Hash> nodes() const override { return nodes_; }
  std::span<const Hash> sorted_nodes() const override { return sorted_nodes_; }
  uint64_t canonical_size(size_t i) const override {
    heap_->touch();
    return resources_[i].size;
  }
  std::optional<std::string_view> held_canonical(size_t i) const override;
  const SealedSecret* sealed(size_t i) const override;
  size_t ref_count(size_t i) const override {
    heap_->touch();
    return edges_.count(i);
  }
  size_t ref(size_t i, size_t k) const override { return edges_.to[edges_.first(i) + k]; }
  std::string_view ref_reason(size_t i, size_t k) const override {
    return reasons_[edges_.reason[edges_.first(i) + k]];
  }
  const std::vector<std::string>& warnings() const override { return warnings_; }
  SpillHeap* working_memory() const override { return heap_.get(); }

 private:
  struct Resource {
    Hash blob;
    uint64_t offset = 0;         // in held_ or in the spool, by `place`
    const char* name = nullptr;  // in names_
    uint32_t name_size = 0;
    uint32_t size = 0;  // canonical bytes; a document is at most 32 MiB
    uint32_t file = 0;
    uint32_t type = 0;        // in types_
    uint32_t namespace_ = 0;  // in namespaces_
    int32_t line = 0;
    int32_t column = 0;
    Place place = Place::kInFile;
  };
  // A file's name, and its directory in directories_.
  struct File {
    const char* base = nullptr;
    uint32_t base_size = 0;
    uint32_t directory = 0;
  };
  // Distinct strings, each copied into names_ once, numbered in order.
  struct Interned {
    std::vector<std::string_view> values;
    std::unordered_map<std::string_view, uint32_t> index;
    uint32_t intern(ByteArena& arena, std::string_view s);
  };

  // Holds what grows with the resources; declared first, destroyed last.
  std::unique_ptr<SpillHeap> heap_;
  ByteArena names_;      // names, interned strings, files' names
  std::string scratch_;  // add()'s encoding buffer
  Interned types_;       // apiVersion and kind, encoded as two ByteWriter::bytes
  Interned namespaces_;
  // Directories with their trailing '/' ("" for a bare name), one per run
  // of files in the same directory: files come directory by directory.
  std::vector<std::string_view> directories_;
  std::pmr::vector<File> files_;
  std::pmr::vector<Resource> resources_;
  std::string held_;  // held canonical bytes, back to back
  // Sealed Secrets (few), by index.
  std::vector<std::pair<size_t, std::shared_ptr<const SealedSecret>>> sealed_;
  size_t unsealed_ = 0;  // added by add_unsealed() and not sealed yet
  EdgeList edges_;
  std::vector<std::string> reasons_;  // distinct
  std::pmr::vector<Hash> nodes_;
  std::pmr::vector<Hash> sorted_nodes_;  // sorted through runs on disk
  std::vector<std::string> warnings_;
};

}  // namespace kix
