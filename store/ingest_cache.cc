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

// The whole file in one read of its size (streams copy it twice); false
// when it cannot be read, which for a cache means "empty".
bool read_whole_file(const std::filesystem::path& file, std::string& out) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    out.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < out.size()) {
      ssize_t n = ::read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  if (!ok) std::string().swap(out);
  return ok;
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

std::optional<FileIdentity> identity_of(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

}  // namespace

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity_of(st);
}

FileIdentityReader::~FileIdentityReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<FileIdentity> FileIdentityReader::identity(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return file_identity(path);
  const std::string_view directory(path.data(), slash + 1);
  if (directory != directory_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    directory_.assign(directory);
    fd_ = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  // A directory that cannot be opened (no permission to read it, only to
  // search it) still has files that stat by path.
  if (fd_ < 0) return file_identity(path);
  struct stat st {};
  if (::fstatat(fd_, path.c_str() + slash + 1, &st, 0) != 0) return std::nullopt;
  return identity_of(st);
}

IngestCache IngestCache::load(const std::filesystem::path& file, const std::string& version_tag) {
  IngestCache cache;
  cache.version_tag_ = version_tag;
  cache.now_ns_ = wall_clock_ns();
  std::string& bytes = *cache.loaded_;
  if (!read_whole_file(file, bytes)) return cache;
  // magic, version tag, entries, then the SHA-256 of everything before it
  if (bytes.size() < kMagic.size() + Hash::kSize || bytes.compare(0, kMagic.size(), kMagic) != 0) {
    std::string().swap(bytes);  // an empty cache holds nothing
    return cache;
  }
  std::string_view content(bytes.data(), bytes.size() - Hash::kSize);
  if (Hash::of(content) != Hash::from_bytes(bytes.data() + content.size())) {
    std::string().swap(bytes);  // an empty cache holds nothing
    return cache;
  }
  ByteReader r(content.substr(kMagic.size()));
  std::string tag;
  uint64_t count = 0;
  if (!r.bytes(tag) || tag != version_tag || !r.varint(count) || count > content.size()) {
    std::string().swap(bytes);  // an empty cache holds nothing
    return cache;
  }
  // Each entry: key, identity, times, then its documents as one byte string,
  // which is decoded only when an add asks for that file.
  std::vector<Entry> files;
  files.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    Entry e;
    Fields f;
    size_t end = 0;
    if (!r.view(e.key)) {
      std::string().swap(bytes);
      return cache;
    }
    e.fields = content.size() - r.remaining();
    if (!cache.decode_fields(e.fields, f, &end)) {
      std::string().swap(bytes);
      return cache;
    }
    r = ByteReader(content.substr(end));
    files.push_back(e);
  }
  if (!r.at_end()) {
    std::string().swap(bytes);  // an empty cache holds nothing
    return cache;
  }
  // Of a key written twice, the later record counts.
  std::stable_sort(files.begin(), files.end(),
                   [](const Entry& a, const Entry& b) { return a.key < b.key; });
  size_t kept = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (i + 1 < files.size() && files[i + 1].key == files[i].key) continue;
    files[kept++] = files[i];
  }
  files.resize(kept);
  cache.files_ = std::move(files);
  return cache;
}

bool IngestCache::decode_fields(size_t at, Fields& f, size_t* end) const {
  // Within the entries: a loaded file ends with the checksum.
  const std::string_view content = std::string_view(*loaded_).substr(
      0, loaded_->size() - std::min(loaded_->size(), Hash::kSize));
  if (at > content.size()) return false;
  ByteReader r(content.substr(at));
  if (!r.varint(f.identity.device) || !r.varint(f.identity.inode) || !r.varint(f.identity.size) ||
      !decode_int(r, f.identity.mtime_ns) || !decode_int(r, f.identity.ctime_ns) ||
      !decode_int(r, f.read_ns) || !decode_int(r, f.used_ns) || !r.view(f.documents)) {
    return false;
  }
  if (end != nullptr) *end = content.size() - r.remaining();
  return true;
}

IngestCache::Fields IngestCache::fields_of(const Entry& e) const {
  Fields f;
  if (!decode_fields(e.fields, f)) {
    throw Error(ErrorKind::kInternal, "an ingest cache entry decoded at load no longer decodes");
  }
  if (e.refreshed) f.used_ns = now_ns_;
  return f;
}

IngestCache::Entry* IngestCache::entry(std::string_view key) {
  // Lookups come in the input's order, which is nearly the keys' order:
  // the entry after the last one found is tried first.
  if (cursor_ < files_.size() && files_[cursor_].key == key) return &files_[cursor_++];
  auto it = std::lower_bound(files_.begin(), files_.end(), key,
                             [](const Entry& e, std::string_view k) { return e.key < k; });
  if (it == files_.end() || it->key != key) return nullptr;
  cursor_ = static_cast<size_t>(it - files_.begin()) + 1;
  return &*it;
}

std::optional<std::string_view> IngestCache::find(const std::string& path,
                                                  const FileIdentity& now) {
  Entry* e = entry(cache_key(path));
  if (e == nullptr || e->superseded) return std::nullopt;
  const Fields f = fields_of(*e);
  if (!(f.identity == now)) return std::nullopt;
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
  return f.documents;
}

bool IngestCache::decode(std::string_view entry, std::vector<CachedDocument>& out) {
  return decode_documents(entry, out);
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
  if (Entry* e = entry(key); e != nullptr && !e->superseded) {
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
      std::vector<Entry>().swap(cache.files_);
      std::string().swap(*cache.loaded_);
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
  // bound (ties: by path, so the choice is stable).
  std::vector<bool> keep(files_.size(), false);
  std::vector<std::pair<int64_t, size_t>> others;  // used time, entry
  for (size_t i = 0; i < files_.size(); ++i) {
    const Entry& e = files_[i];
    const int64_t used_ns = fields_of(e).used_ns;
    keep[i] = !e.superseded && used_ns + kUnusedNs >= now_ns_;
    if (keep[i] && !e.found) others.emplace_back(used_ns, i);
  }
  const size_t keep_others = std::max(min_other_entries_, found_count_ + put_count_);
  if (others.size() > keep_others) {
    auto newest_first = [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : files_[a.second].key < files_[b.second].key;
    };
    std::nth_element(others.begin(), others.begin() + static_cast<ptrdiff_t>(keep_others),
                     others.end(), newest_first);
    for (size_t i = keep_others; i < others.size(); ++i) keep[others[i].second] = false;
  }
  std::vector<std::pair<int64_t, size_t>>().swap(others);
  const size_t kept = static_cast<size_t>(std::count(keep.begin(), keep.end(), true));
  if (!changed_ && kept == files_.size()) return;
  const std::filesystem::path tmp = staged_name(file);
  HashingFileWriter out(tmp);
  std::string head(kMagic);
  ByteWriter w(head);
  w.bytes(version_tag_);
  w.varint(kept + put_count_);
  out.write(head);
  std::string record;
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!keep[i]) continue;
    const Fields f = fields_of(files_[i]);
    record.clear();
    ByteWriter rw(record);
    encode_entry(files_[i].key, f.identity, f.read_ns, f.used_ns, f.documents, rw);
    out.write(record);
  }
  if (puts_) puts_->copy_to([&](std::string_view bytes) { out.write(bytes); });
  out.write_hash_and_close();
  staged_.set(tmp);
}

}  // namespace kix
