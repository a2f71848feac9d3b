#include "store/ingest_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "util/byte_codec.h"
#include "util/error.h"

namespace kix {

namespace {

constexpr std::string_view kMagic = "kix-ingest-cache 2\n";
// A file modified less than this before it was read may change again
// within the same timestamp tick without any stat field changing.
constexpr int64_t kRacyWindowNs = 1'000'000'000;
constexpr int64_t kUnusedNs = 30LL * 24 * 3600 * 1'000'000'000;
// A found entry's "used" time is written back only when it is this old,
// so that a cache all of whose files were found needs no rewrite.
constexpr int64_t kUsedRefreshNs = 24LL * 3600 * 1'000'000'000;

// Absolute without touching the file system or normalizing: the input
// lists files the same way every time, and a key that differs only costs
// a read.
std::string cache_key(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  static const std::string cwd = [] {
    std::error_code ec;
    std::string d = std::filesystem::current_path(ec).string();
    return ec ? std::string() : d;
  }();
  return cwd + "/" + path;
}

void encode_documents(const std::vector<CachedDocument>& docs, ByteWriter& w) {
  w.varint(docs.size());
  for (const CachedDocument& d : docs) {
    w.bytes(d.id.api_version);
    w.bytes(d.id.kind);
    w.bytes(d.id.ns);
    w.bytes(d.id.name);
    w.varint(static_cast<uint64_t>(d.line));
    w.varint(static_cast<uint64_t>(d.column));
    w.hash(d.blob);
    w.varint(d.size);
    w.bytes(d.facts);
  }
}

bool decode_documents(std::string_view bytes, std::vector<CachedDocument>& out) {
  ByteReader r(bytes);
  uint64_t count = 0, line = 0, column = 0;
  if (!r.varint(count) || count > bytes.size()) return false;
  size_t first = out.size();
  out.resize(first + count);
  for (size_t i = first; i < out.size(); ++i) {
    CachedDocument& d = out[i];
    if (!r.bytes(d.id.api_version) || !r.bytes(d.id.kind) || !r.bytes(d.id.ns) ||
        !r.bytes(d.id.name) || !r.varint(line) || !r.varint(column) || !r.hash(d.blob) ||
        !r.varint(d.size) || !r.view(d.facts) || line > INT32_MAX || column > INT32_MAX) {
      out.resize(first);
      return false;
    }
    d.line = static_cast<int>(line);
    d.column = static_cast<int>(column);
  }
  if (!r.at_end()) {
    out.resize(first);
    return false;
  }
  return true;
}

bool decode_int(ByteReader& r, int64_t& v) {
  uint64_t u = 0;
  if (!r.varint(u)) return false;
  v = static_cast<int64_t>(u);
  return true;
}

}  // namespace

int64_t wall_clock_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {

// The fields of a record after its key (encode_entry below).
bool decode_fields(ByteReader& r, FileIdentity& identity, int64_t& read_ns, int64_t& used_ns,
                   std::string_view& documents) {
  return r.varint(identity.device) && r.varint(identity.inode) && r.varint(identity.size) &&
         decode_int(r, identity.mtime_ns) && decode_int(r, identity.ctime_ns) &&
         decode_int(r, read_ns) && decode_int(r, used_ns) && r.view(documents);
}

uint64_t key_hash(std::string_view key) {
  return std::hash<std::string_view>()(key);
}

constexpr uint64_t kChunk = 256u << 10;

// Whether the file's last 32 bytes are the SHA-256 of the bytes before
// them, read a chunk at a time.
bool checksum_holds(FileWindow& file) {
  const uint64_t content = file.size() - Hash::kSize;
  Sha256 hash;
  for (uint64_t at = 0; at < content;) {
    const uint64_t n = std::min(kChunk, content - at);
    const std::optional<std::string_view> chunk = file.read(at, n);
    if (!chunk) return false;
    hash.update(*chunk);
    at += n;
  }
  const std::optional<std::string_view> stored = file.read(content, Hash::kSize);
  return stored && hash.finish() == Hash::from_bytes(stored->data());
}

// Reads a file's content (all but its checksum) from its start in
// chunks, keeping the bytes not yet consumed: a record is parsed from
// them, and when it does not fit, more are read (a record larger than a
// chunk grows the buffer to its size). The content was checked first, so
// the lengths it declares are those a writer wrote, unless the file was
// written in place since (what is read stays within the file either way,
// and unchanged() catches it later).
class RecordStream {
 public:
  RecordStream(FileWindow& file, uint64_t content_end) : file_(file), end_(content_end) {}

  // Runs `parse` on the unconsumed bytes until it succeeds, reading more
  // each time it fails; false when it fails with the content all read.
  // `parse` returns the bytes it consumed, 0 for "not enough".
  template <typename Parse>
  bool next(Parse parse, uint64_t& record_offset) {
    for (;;) {
      const size_t used = parse(std::string_view(buffer_).substr(at_));
      if (used > 0) {
        record_offset = start_ + at_;
        at_ += used;
        return true;
      }
      if (!refill()) return false;
    }
  }
  bool at_end() const { return at_ == buffer_.size() && read_to_ == end_; }

 private:
  bool refill() {
    if (read_to_ == end_) return false;
    buffer_.erase(0, at_);
    start_ += at_;
    at_ = 0;
    const uint64_t n = std::min<uint64_t>(kChunk, end_ - read_to_);
    const std::optional<std::string_view> chunk = file_.read(read_to_, n);
    if (!chunk) return false;
    buffer_.append(*chunk);
    read_to_ += n;
    return true;
  }

  FileWindow& file_;
  const uint64_t end_;
  std::string buffer_;
  uint64_t start_ = 0;    // file offset of buffer_[0]
  size_t at_ = 0;         // consumed bytes of buffer_
  uint64_t read_to_ = 0;  // file offset up to which bytes were read
};

}  // namespace

IngestCache IngestCache::load(const std::filesystem::path& file, const std::string& version_tag,
                              SpillHeap* memory) {
  IngestCache cache(memory);
  cache.version_tag_ = version_tag;
  cache.now_ns_ = wall_clock_ns();
  std::unique_ptr<FileWindow> window = FileWindow::open(file);
  // magic, version tag, entries, then the SHA-256 of everything before it
  if (!window || window->size() < kMagic.size() + Hash::kSize) return cache;
  // The checksum first, so that damaged content is never parsed: a wrong
  // length in it would otherwise make the parser read on to the end.
  if (!checksum_holds(*window)) return cache;
  RecordStream in(*window, window->size() - Hash::kSize);
  uint64_t count = 0, offset = 0;
  bool foreign = false;  // not a cache file, or one of another reader
  const bool head = in.next(
      [&](std::string_view bytes) -> size_t {
        if (bytes.size() < kMagic.size()) return 0;
        ByteReader r(bytes.substr(kMagic.size()));
        std::string tag;
        if (bytes.substr(0, kMagic.size()) != kMagic) {
          foreign = true;
          return 1;
        }
        if (!r.bytes(tag) || !r.varint(count)) return 0;
        if (tag != version_tag) {
          foreign = true;
          return 1;
        }
        return bytes.size() - r.remaining();
      },
      offset);
  if (!head || foreign || count > window->size() || count >= UINT32_MAX) return cache;
  // Each entry: its key, identity and times, then its documents as one
  // byte string; only where it is, its key's hash and "used" time are kept.
  std::pmr::vector<Entry> files(cache.files_.get_allocator());
  constexpr size_t kEntriesPerPage = 4096 / sizeof(Entry);
  files.reserve(std::min<uint64_t>(count, window->size() / 9));  // a record takes 9 bytes or more
  for (uint64_t i = 0; i < count; ++i) {
    Entry e;
    size_t record_size = 0;
    const bool ok = in.next(
        [&](std::string_view bytes) -> size_t {
          ByteReader r(bytes);
          std::string_view key, documents;
          FileIdentity identity;
          int64_t read_ns = 0;
          if (!r.view(key) || !decode_fields(r, identity, read_ns, e.used_ns, documents)) return 0;
          e.key_hash = key_hash(key);
          record_size = bytes.size() - r.remaining();
          return record_size;
        },
        e.offset);
    if (!ok || record_size > UINT32_MAX) return cache;
    e.size = static_cast<uint32_t>(record_size);
    if (files.size() % kEntriesPerPage == 0) cache.touch();
    e.ordinal = static_cast<uint32_t>(files.size());
    files.push_back(e);
  }
  if (!in.at_end()) return cache;
  cache.loaded_ = std::move(window);

  // Of a key written twice, the later record counts: among entries of one
  // key hash (in file order), those whose key a later one repeats go.
  size_t compared = 0;
  std::sort(files.begin(), files.end(), [&](const Entry& a, const Entry& b) {
    if (++compared % kEntriesPerPage == 0) cache.touch();
    return a.key_hash != b.key_hash ? a.key_hash < b.key_hash : a.offset < b.offset;
  });
  size_t kept = 0;
  for (size_t i = 0; i < files.size();) {
    if (i % kEntriesPerPage == 0) cache.touch();
    size_t j = i + 1;
    while (j < files.size() && files[j].key_hash == files[i].key_hash) ++j;
    if (j == i + 1) {
      files[kept++] = files[i];
    } else {
      std::vector<std::string> keys;
      for (size_t k = i; k < j; ++k) {
        std::string_view key;
        Fields f;
        if (!cache.read_record(files[k], key, f)) {
          cache.loaded_.reset();  // an empty cache
          return cache;
        }
        keys.emplace_back(key);
      }
      for (size_t k = i; k < j; ++k) {
        if (std::find(keys.begin() + static_cast<ptrdiff_t>(k - i + 1), keys.end(), keys[k - i]) ==
            keys.end()) {
          files[kept++] = files[k];
        }
      }
    }
    i = j;
  }
  files.resize(kept);
  cache.files_ = std::move(files);
  cache.in_file_order_.assign(count, kDropped);
  for (size_t i = 0; i < cache.files_.size(); ++i) {
    if (i % kEntriesPerPage == 0) cache.touch(2);
    cache.in_file_order_[cache.files_[i].ordinal] = static_cast<uint32_t>(i);
  }
  return cache;
}

bool IngestCache::read_record(const Entry& e, std::string_view& key, Fields& f,
                              const char** start) {
  if (!loaded_) return false;
  const std::optional<std::string_view> record = loaded_->read(e.offset, e.size);
  if (!record) {
    read_error_ = loaded_->error();
    return false;
  }
  if (start != nullptr) *start = record->data();
  ByteReader r(*record);
  // The key's hash too: a record that is not where the entry says (the
  // file written in place after all) is not taken for another.
  if (r.view(key) && key_hash(key) == e.key_hash &&
      decode_fields(r, f.identity, f.read_ns, f.used_ns, f.documents) && r.at_end()) {
    return true;
  }
  read_error_ = "a record does not match its entry";
  return false;
}

IngestCache::Entry* IngestCache::entry(std::string_view key, Fields& f) {
  const uint64_t h = key_hash(key);
  std::string_view stored;
  if (next_ordinal_ < in_file_order_.size()) {
    const uint32_t i = in_file_order_[next_ordinal_];
    if (i != kDropped && files_[i].key_hash == h && read_record(files_[i], stored, f) &&
        stored == key) {
      ++next_ordinal_;
      return &files_[i];
    }
  }
  auto it = std::lower_bound(files_.begin(), files_.end(), h,
                             [](const Entry& e, uint64_t k) { return e.key_hash < k; });
  for (; it != files_.end() && it->key_hash == h; ++it) {
    if (read_record(*it, stored, f) && stored == key) {
      next_ordinal_ = it->ordinal + 1;
      return &*it;
    }
  }
  return nullptr;
}

std::optional<size_t> IngestCache::find(const std::string& path, const FileIdentity& now) {
  const std::string key = cache_key(path);
  Fields f;
  Entry* e = entry(key, f);
  if (e == nullptr || e->superseded || !(f.identity == now)) return std::nullopt;
  if (f.identity.mtime_ns + kRacyWindowNs > f.read_ns ||
      f.identity.ctime_ns + kRacyWindowNs > f.read_ns) {
    return std::nullopt;
  }
  if (f.used_ns + kUsedRefreshNs < now_ns_) {
    e->refreshed = true;
    changed_ = true;
  }
  if (!e->found) {
    e->found = true;
    ++found_count_;
  }
  return static_cast<size_t>(e - files_.data());
}

bool IngestCache::documents(size_t entry, std::vector<CachedDocument>& out) {
  std::string_view key;
  Fields f;
  const char* record = nullptr;
  const size_t first = out.size();
  if (entry >= files_.size() || !read_record(files_[entry], key, f, &record) ||
      !decode_documents(f.documents, out)) {
    return false;
  }
  // Every view decoded is into the record, which starts at its offset.
  for (size_t i = first; i < out.size(); ++i) {
    out[i].facts_offset =
        files_[entry].offset + static_cast<uint64_t>(out[i].facts.data() - record);
  }
  return true;
}

std::optional<std::string_view> IngestCache::read_back(uint64_t offset, uint64_t size) {
  if (!loaded_) {
    read_error_ = "the cache was already released";
    return std::nullopt;
  }
  std::optional<std::string_view> bytes = loaded_->read(offset, size);
  if (!bytes) read_error_ = loaded_->error();
  return bytes;
}

bool IngestCache::unchanged() const {
  return !loaded_ || loaded_->unchanged();
}

std::string IngestCache::read_error() const {
  return read_error_;
}

namespace {

void encode_entry(std::string_view key, const FileIdentity& identity, int64_t read_ns,
                  int64_t used_ns, std::string_view documents, ByteWriter& w) {
  w.bytes(key);
  w.varint(identity.device);
  w.varint(identity.inode);
  w.varint(identity.size);
  w.varint(static_cast<uint64_t>(identity.mtime_ns));
  w.varint(static_cast<uint64_t>(identity.ctime_ns));
  w.varint(static_cast<uint64_t>(read_ns));
  w.varint(static_cast<uint64_t>(used_ns));
  w.bytes(documents);
}

// Writes a file through a buffer, hashing what it writes; removes the file
// again when anything fails.
class HashingFileWriter {
 public:
  explicit HashingFileWriter(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(errno, "check the store directory's permissions and free space");
  }
  ~HashingFileWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(path_.c_str());
    }
  }
  void write(std::string_view bytes) {
    hash_.update(bytes);
    buffer_.append(bytes);
    if (buffer_.size() >= (1u << 20)) flush();
  }
  void write_hash_and_close() {
    Hash h = hash_.finish();
    buffer_.append(reinterpret_cast<const char*>(h.bytes().data()), Hash::kSize);
    flush();
    // A cache needs no fsync: a torn or lost file fails its checksum and
    // is an empty cache, which costs one full read of the input.
    ::close(fd_);
    fd_ = -1;
  }

 private:
  [[noreturn]] void fail(int err, const char* hint) {
    throw Error(ErrorKind::kIo, "cannot write " + path_.string() + ": " + std::strerror(err), {},
                hint);
  }
  void flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(n < 0 ? errno : ENOSPC, "check the store directory's free space");
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
  }
  std::filesystem::path path_;
  int fd_ = -1;
  std::string buffer_;
  Sha256 hash_;
};

}  // namespace

void IngestCache::put(const std::string& path, const FileIdentity& identity, int64_t read_ns,
                      const std::vector<CachedDocument>& documents) {
  if (put_failed_) return;
  std::string docs;
  ByteWriter dw(docs);
  encode_documents(documents, dw);
  std::string key = cache_key(path);
  std::string record;
  ByteWriter w(record);
  encode_entry(key, identity, read_ns, now_ns_, docs, w);
  try {
    if (!puts_) puts_ = std::make_unique<SpoolFile>();
    puts_->append(record);
  } catch (const Error&) {
    // The cache only saves work; without it the next add reads everything.
    put_failed_ = true;
    return;
  }
  ++put_count_;
  Fields f;
  if (Entry* e = entry(key, f); e != nullptr && !e->superseded) {
    e->superseded = true;
    ++superseded_;
  }
  changed_ = true;
}

IngestCache::StagedFile& IngestCache::StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

IngestCache::StagedFile::~StagedFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

void IngestCache::save(const std::filesystem::path& file) {
  stage(file);
  publish(file);
}

namespace {

// A staged cache is renamed into place when its add commits, within
// seconds or minutes; one this old was left by an add that was killed, or
// runs on another host or in another container, where its process cannot
// be seen. So age, not a process id, decides what is a leftover.
constexpr auto kStaleStagedAge = std::chrono::hours(1);

std::string staged_prefix(const std::filesystem::path& file) {
  return "." + file.filename().string() + ".stage-";
}

void remove_old_staged(const std::filesystem::path& file) {
  const std::string prefix = staged_prefix(file);
  const auto now = std::filesystem::file_time_type::clock::now();
  std::error_code ec;
  std::filesystem::directory_iterator it(file.parent_path(), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind(prefix, 0) != 0) continue;
    std::error_code ignored;  // the next add tries again
    const auto written = it->last_write_time(ignored);
    if (!ignored && now - written > kStaleStagedAge) std::filesystem::remove(it->path(), ignored);
  }
}

// ".NAME.stage-PID-RANDOM": unique even between processes that share a
// store but not a process namespace (two containers' pid 1).
std::filesystem::path staged_name(const std::filesystem::path& file) {
  std::random_device random;
  const uint64_t r = (static_cast<uint64_t>(random()) << 32) ^ random();
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(r));
  return file.parent_path() / (staged_prefix(file) + std::to_string(::getpid()) + "-" + suffix);
}

}  // namespace

void IngestCache::publish(const std::filesystem::path& file) {
  if (!spent_) {
    // Not staged (its directory did not exist then): written now, whole.
    spent_ = true;
    write_staged(file);
  }
  if (staged_.path().empty()) return;
  const std::filesystem::path staged = staged_.path();
  if (::rename(staged.c_str(), file.c_str()) != 0) {
    int err = errno;
    if (err == ENOENT) {
      staged_.release();
      throw Error(ErrorKind::kIo, staged.string() + " was removed before it was renamed", {},
                  "another kix that shares this store took it for a leftover; the next add "
                  "writes the cache again");
    }
    throw Error(ErrorKind::kIo, "cannot rename " + staged.string() + ": " + std::strerror(err), {},
                "check the store directory's permissions");
  }
  staged_.release();
}

void IngestCache::stage(const std::filesystem::path& file) {
  if (spent_) throw Error(ErrorKind::kInternal, "the stat cache was staged twice");
  // A first add ingests before its store exists; its cache is written by
  // publish(), once the store (and its directory) does.
  std::error_code ec;
  if (!std::filesystem::is_directory(file.parent_path(), ec)) return;
  spent_ = true;
  // Nothing of it is needed any more once written, or once writing failed.
  struct Release {
    IngestCache& cache;
    ~Release() {
      decltype(cache.files_)(cache.files_.get_allocator()).swap(cache.files_);
      decltype(cache.in_file_order_)(cache.in_file_order_.get_allocator())
          .swap(cache.in_file_order_);
      cache.loaded_.reset();
      cache.puts_.reset();
    }
  } release{*this};
  write_staged(file);
}

void IngestCache::write_staged(const std::filesystem::path& file) {
  remove_old_staged(file);
  if (put_failed_) return;
  // What is kept: entries neither replaced nor unused for 30 days, and of
  // those this process did not see, only the most recently used beyond the
  // bound (ties: by key hash, so the choice is stable).
  std::pmr::memory_resource* memory = files_.get_allocator().resource();
  std::pmr::vector<bool> keep(files_.size(), false, memory);
  std::pmr::vector<std::pair<int64_t, size_t>> others(memory);  // used time, entry
  for (size_t i = 0; i < files_.size(); ++i) {
    touch();
    const Entry& e = files_[i];
    const int64_t used_ns = e.refreshed ? now_ns_ : e.used_ns;
    keep[i] = !e.superseded && used_ns + kUnusedNs >= now_ns_;
    if (keep[i] && !e.found) others.emplace_back(used_ns, i);
  }
  const size_t keep_others = std::max(min_other_entries_, found_count_ + put_count_);
  if (others.size() > keep_others) {
    auto newest_first = [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      const Entry& x = files_[a.second];
      const Entry& y = files_[b.second];
      return x.key_hash != y.key_hash ? x.key_hash < y.key_hash : x.offset < y.offset;
    };
    std::nth_element(others.begin(), others.begin() + static_cast<ptrdiff_t>(keep_others),
                     others.end(), newest_first);
    for (size_t i = keep_others; i < others.size(); ++i) keep[others[i].second] = false;
  }
  decltype(others)(memory).swap(others);
  // Kept entries are written in the order the file had them, which is the
  // order adds list their files: the next add reads them forward.
  std::pmr::vector<uint32_t> order(memory);
  for (size_t i = 0; i < files_.size(); ++i) {
    if (keep[i]) order.push_back(static_cast<uint32_t>(i));
  }
  decltype(keep)(memory).swap(keep);
  if (!changed_ && order.size() == files_.size()) return;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return files_[a].offset < files_[b].offset; });
  const std::string loaded_file = loaded_ ? loaded_->path().string() : file.string();
  const char* const kWrittenInPlace =
      "another program wrote to it in place; run the command again (the cache is only a "
      "cache: deleting it is safe)";
  const std::filesystem::path tmp = staged_name(file);
  HashingFileWriter out(tmp);
  std::string head(kMagic);
  ByteWriter w(head);
  w.bytes(version_tag_);
  w.varint(order.size() + put_count_);
  out.write(head);
  std::string record;
  for (uint32_t i : order) {
    touch();
    const Entry& e = files_[i];
    std::string_view key;
    Fields f;
    // The file was checked whole when loaded; a record that no longer
    // reads back means it was written in place after all, and nothing of
    // it can be trusted.
    if (!read_record(e, key, f)) {
      throw Error(ErrorKind::kIo,
                  "cannot read the stat cache " + loaded_file + " back: " + read_error(), {},
                  kWrittenInPlace);
    }
    if (!e.refreshed) {
      out.write(loaded_->read(e.offset, e.size).value());
      continue;
    }
    record.clear();
    ByteWriter rw(record);
    encode_entry(key, f.identity, f.read_ns, now_ns_, f.documents, rw);
    out.write(record);
  }
  // Records copied verbatim are trusted as checked when loaded.
  if (!unchanged()) {
    throw Error(ErrorKind::kIo, "the stat cache " + loaded_file + " changed while it was read", {},
                kWrittenInPlace);
  }
  if (puts_) puts_->copy_to([&](std::string_view bytes) { out.write(bytes); });
  out.write_hash_and_close();
  staged_.set(tmp);
}

}  // namespace kix
