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
// Thread-safety: one object per thread. Two processes saving one file:
// the last rename wins, and the other's entries are simply read again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/reference_facts.h"
#include "util/hash.h"
#include "util/spool_file.h"

namespace kix {

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const FileIdentity&) const = default;
};

// The identity of the file at `path` (following symbolic links), or
// nullopt when it cannot be stat'ed (the reader then reports why).
std::optional<FileIdentity> file_identity(const std::string& path);

// file_identity for many paths in a row, listed directory by directory: the
// directory of the previous path stays open, and a path in it is stat'ed
// relative to it (fstatat), so the kernel resolves one name instead of the
// whole path. Same answers as file_identity. Not thread-safe; owns one file
// descriptor at a time.
class FileIdentityReader {
 public:
  FileIdentityReader() = default;
  ~FileIdentityReader();
  FileIdentityReader(const FileIdentityReader&) = delete;
  FileIdentityReader& operator=(const FileIdentityReader&) = delete;

  std::optional<FileIdentity> identity(const std::string& path);

 private:
  std::string directory_;  // of the open descriptor, with its trailing '/'
  int fd_ = -1;
};

struct CachedDocument {
  ResourceId id;
  int line = 0;
  int column = 0;
  Hash blob;
  uint64_t size = 0;  // canonical bytes
  // Encoded (encode_reference_facts). A view: into the cache for a decoded
  // entry (valid as long as the cache), into the caller's bytes for put().
  std::string_view facts;
};

class IngestCache {
 public:
  // Loads `file`; anything unusable gives an empty cache. `version_tag`
  // names the reader (kix's version).
  static IngestCache load(const std::filesystem::path& file, const std::string& version_tag);

  // The documents of `path`, encoded, when its identity is still `now` and
  // the entry is not racily clean; nullopt otherwise. The view is valid as
  // long as this cache; decode() gives the documents.
  std::optional<std::string_view> find(const std::string& path, const FileIdentity& now);
  // Appends the documents of an entry find() returned to `out`; false (and
  // `out` as it was) when the entry cannot be decoded.
  static bool decode(std::string_view entry, std::vector<CachedDocument>& out);
  // Records what `path` held when read at `read_ns` (wall clock just
  // before reading), with the identity it had then.
  void put(const std::string& path, const FileIdentity& identity, int64_t read_ns,
           const std::vector<CachedDocument>& documents);

  // Writes the cache to `file` (a temporary sibling renamed into place),
  // unless nothing changed. Entries not used for 30 days are dropped, and
  // of the entries this process neither found nor put (files of other
  // checkouts), only the most recently used are kept: as many as it found
  // and put, and at least min_other_entries(). So the cache, which every
  // add loads whole, stays within about twice the input it serves however
  // many directories were added.
  // Streams: memory does not grow with the number of entries written.
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
  // An entry loaded from the file: its key, a view into *loaded_ (which
  // never moves), and the offset in *loaded_ of the rest of its record,
  // which is decoded when needed. 32 bytes a file; a hash map of decoded
  // entries took 112.
  struct Entry {
    std::string_view key;
    size_t fields = 0;        // offset in *loaded_ of what follows the key
    bool superseded = false;  // put again by this process
    bool found = false;       // find() answered with it in this process
    bool refreshed = false;   // its "used" time is now_ns_
  };
  // The rest of an entry's record.
  struct Fields {
    FileIdentity identity;
    int64_t read_ns = 0;
    int64_t used_ns = 0;  // when an add last found it
    std::string_view documents;
  };
  // Decodes the fields at `at` in *loaded_; false when they do not decode.
  bool decode_fields(size_t at, Fields& out, size_t* end = nullptr) const;
  Fields fields_of(const Entry& e) const;
  // The entry with `key`, or nullptr.
  Entry* entry(std::string_view key);

  // Sorted by key (absolute path as the input named it), one per key.
  std::vector<Entry> files_;
  size_t cursor_ = 0;  // just past the entry the last lookup found

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
  std::unique_ptr<std::string> loaded_ = std::make_unique<std::string>();
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
