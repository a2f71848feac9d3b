// The stat cache of an incremental `kix store add` (docs/store.md,
// "Incremental add"): for each file read before, its identity when it was
// read and what its documents were (identity, position, blob hash, size,
// reference facts), so that an unchanged file is neither read nor parsed.
//
// A file is unchanged when its device, inode, size, mtime and ctime all
// equal the cached ones. As in git, a file modified within a second of
// being read is "racily clean": a later write in the same timestamp tick
// could keep every stat field, so such an entry is never trusted.
//
// The cache is an optimisation only. Its file carries a version tag (the
// kix version that wrote it, so a reader that parses differently never
// trusts an older reader's results) and a SHA-256 of its body; a missing,
// damaged, foreign or older file is an empty cache. Files holding Secrets
// with values are never cached (their stored form depends on the keyring).
//
// load() reads the file twice, streaming: to check its SHA-256, then to
// note where each entry's record is; lookups then read records back
// through a window of the open file. kix only ever replaces a cache file
// by a rename, so the open file keeps the content that was checked;
// another program writing it in place (cp over it) is caught by
// unchanged(), which an add checks once it has read what it needs, and
// by a save, which refuses to copy records from a changed file.
//
// Thread-safety: one object per thread. Two processes saving one file:
// the last rename wins, and the other's entries are simply read again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/reference_facts.h"
#include "util/file_identity.h"
#include "util/file_window.h"
#include "util/hash.h"
#include "util/spill_heap.h"
#include "util/spool_file.h"

namespace kix {

struct CachedDocument {
  ResourceId id;
  int line = 0;
  int column = 0;
  Hash blob;
  uint64_t size = 0;  // canonical bytes
  // Encoded (encode_reference_facts). A view: into the cache's window for
  // documents() (valid until the cache's next call of any member), into
  // the caller's bytes for put().
  std::string_view facts;
  // From documents(): where `facts` are in the cache file, for read_back().
  uint64_t facts_offset = 0;
};

class IngestCache {
 public:
  // Loads `file`; anything unusable gives an empty cache. `version_tag`
  // names the reader (kix's version). The index of entries (32 bytes a
  // file) and save()'s lists per entry live in `memory`, when given (an
  // add's working memory, which must outlive the cache), else in ordinary
  // memory.
  static IngestCache load(const std::filesystem::path& file, const std::string& version_tag,
                          SpillHeap* memory = nullptr);

  // The entry of `path` when its identity is still `now` and the entry is
  // not racily clean, as a handle for documents(); nullopt otherwise.
  std::optional<size_t> find(const std::string& path, const FileIdentity& now);
  // Appends the documents of an entry find() returned to `out`, their
  // facts viewing bytes valid until the next call of any member; false
  // (and `out` as it was) when the entry cannot be read back or decoded.
  bool documents(size_t entry, std::vector<CachedDocument>& out);
  // The `size` bytes at `offset` of the loaded file (a document's facts, by
  // their facts_offset), through the same window: valid until the next
  // call of any member. nullopt when they cannot be read back, or after
  // stage(); read_error() says why the last read back (here or in
  // documents()) failed.
  std::optional<std::string_view> read_back(uint64_t offset, uint64_t size);
  std::string read_error() const;
  // False when the loaded file was written in place since load() checked
  // it (util/file_window.h): what was read from it may be of either
  // content. True for an empty cache.
  bool unchanged() const;
  // Records what `path` held when read at `read_ns` (wall clock just
  // before reading), with the identity it had then.
  void put(const std::string& path, const FileIdentity& identity, int64_t read_ns,
           const std::vector<CachedDocument>& documents);

  // Writes the cache to `file` (a temporary sibling renamed into place),
  // unless nothing changed. Entries not used for 30 days are dropped, and
  // of the entries this process neither found nor put (files of other
  // checkouts), only the most recently used are kept: as many as it found
  // and put, and at least min_other_entries(). So the cache, which every
  // add reads through, stays within about twice the input it serves
  // however many directories were added.
  // Streams: memory holds a window and a few bytes per entry, not the
  // entries' records.
  // Throws kix::Error(kIo) when it cannot be written. stage(), then
  // publish().
  void save(const std::filesystem::path& file);
  // The first half of save(): writes what save() would write to a
  // temporary sibling of `file` (".NAME.stage-PID-RANDOM"; those older
  // than an hour, left by killed adds, are removed first) and frees
  // everything the cache holds in memory, also when it fails, so that the
  // store's work that follows an ingest does not hold it. Nothing is
  // written when nothing changed, and nothing yet when the directory of
  // `file` does not exist (publish() writes it then). Afterwards only
  // publish() may be called. Throws kix::Error(kIo) (kInternal when called
  // twice), leaving no temporary file.
  void stage(const std::filesystem::path& file);
  // Renames what stage() wrote over `file` (nothing when it wrote nothing).
  // Throws kix::Error(kIo). A cache destroyed before it published removes
  // its temporary file.
  void publish(const std::filesystem::path& file);

  // Entries loaded and not replaced, plus entries put.
  size_t size() const { return files_.size() - superseded_ + put_count_; }

  static constexpr size_t kMinOtherEntries = 20000;
  size_t min_other_entries() const { return min_other_entries_; }
  void set_min_other_entries(size_t n) { min_other_entries_ = n; }

 private:
  explicit IngestCache(SpillHeap* memory)
      : files_(memory != nullptr ? static_cast<std::pmr::memory_resource*>(memory)
                                 : std::pmr::get_default_resource()),
        in_file_order_(files_.get_allocator()),
        memory_(memory) {}
  // Counts `pages` accesses of the working memory, if any.
  void touch(size_t pages = 1) {
    if (memory_ != nullptr) memory_->touch(pages);
  }

  // An entry of the loaded file: where its record is and what a save
  // needs to know without reading it. The file is read through a window
  // (util/file_window.h), so memory holds 32 bytes a file, not the file
  // (at 50,000 files the file is 17 MB).
  struct Entry {
    uint64_t key_hash = 0;    // std::hash of its key; the key is in the record
    uint64_t offset = 0;      // of its record (key and fields) in the file
    int64_t used_ns = 0;      // when an add last found it
    uint32_t size = 0;        // of its record
    uint32_t ordinal = 0;     // its record's place among the loaded ones
    bool superseded = false;  // put again by this process
    bool found = false;       // find() answered with it in this process
    bool refreshed = false;   // its "used" time is now_ns_
  };
  // The rest of an entry's record, after its key.
  struct Fields {
    FileIdentity identity;
    int64_t read_ns = 0;
    int64_t used_ns = 0;  // when an add last found it
    std::string_view documents;
  };
  // The record of `e` through the window, its key and fields (and where
  // the record starts in memory); false when it cannot be read back or
  // decoded.
  bool read_record(const Entry& e, std::string_view& key, Fields& f, const char** start = nullptr);
  // The entry with `key` and its record's fields, or nullptr.
  Entry* entry(std::string_view key, Fields& f);

  // Sorted by key hash, one per key.
  std::pmr::vector<Entry> files_;
  // The entry of each loaded record, by ordinal (kDropped: a key a later
  // record repeats). An add lists its files in the order the last one
  // wrote them, so entry() tries the record after the last one found
  // first: read in order, where a binary search of files_ reads at random
  // (a next add of 400,000 files spent a fifth of its time there, the
  // entries spilled from working memory).
  static constexpr uint32_t kDropped = UINT32_MAX;
  std::pmr::vector<uint32_t> in_file_order_;
  uint32_t next_ordinal_ = 0;
  SpillHeap* memory_;
  std::unique_ptr<FileWindow> loaded_;  // the file the entries are in
  std::string read_error_;              // why the last read back failed

  void write_staged(const std::filesystem::path& file);

  // A file stage() wrote, removed unless publish() renamed it first.
  class StagedFile {
   public:
    StagedFile() = default;
    StagedFile(StagedFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    StagedFile& operator=(StagedFile&& other) noexcept;
    ~StagedFile();
    void set(std::filesystem::path path) { path_ = std::move(path); }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path release() { return std::exchange(path_, {}); }

   private:
    std::filesystem::path path_;
  };
  StagedFile staged_;
  bool spent_ = false;  // stage() ran: the entries are gone
  // What put() recorded, already encoded as the file holds entries, kept
  // out of memory (util/spool_file.h); null until the first put.
  std::unique_ptr<SpoolFile> puts_;
  size_t put_count_ = 0;
  size_t superseded_ = 0;
  bool put_failed_ = false;  // the spool could not be written: save nothing
  std::string version_tag_;
  int64_t now_ns_ = 0;  // "used" time of what this process finds or puts
  bool changed_ = false;
  size_t found_count_ = 0;
  size_t min_other_entries_ = kMinOtherEntries;
};

// Wall-clock nanoseconds since the epoch.
int64_t wall_clock_ns();

}  // namespace kix
