#include "store/store_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "manifest/merkle.h"
#include "util/error.h"

namespace kix {

namespace {

constexpr const char* kIndexName = "kix-archive.json";
constexpr const char* kBlobPrefix = "blobs/";
constexpr size_t kReadChunk = 64 * 1024;

Error invalid(const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "invalid kix archive: " + what, {},
               "the file is damaged or was not written by `kix store export`");
}

// --- writing: pax tar + zstd into memory through libarchive ----------------------

struct ArchiveWriterDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveReaderDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t append_to_string(struct archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

// Writing only fails on exhausted memory or a broken libarchive: an internal error.
void check_write(struct archive* a, int status, const char* what) {
  if (status < ARCHIVE_WARN) {
    const char* detail = archive_error_string(a);
    throw Error(ErrorKind::kInternal,
                std::string("cannot write the archive (") + what + "): " + (detail ? detail : "?"));
  }
}

class TarZstdWriter {
 public:
  explicit TarZstdWriter(std::string& out) : archive_(archive_write_new()) {
    if (!archive_) throw Error(ErrorKind::kInternal, "cannot allocate an archive writer");
    struct archive* a = archive_.get();
    check_write(a, archive_write_set_format_pax_restricted(a), "format");
    check_write(a, archive_write_add_filter_zstd(a), "zstd filter");
    // No padding of the last block: the compressed stream ends with the data.
    check_write(a, archive_write_set_bytes_in_last_block(a, 1), "block size");
    check_write(a, archive_write_open(a, &out, nullptr, append_to_string, nullptr), "open");
  }

  // A regular file with fixed owner, mode and mtime 0: the same closure
  // always gives the same bytes.
  void add(const std::string& name, std::string_view data) {
    std::unique_ptr<struct archive_entry, EntryDeleter> entry(archive_entry_new());
    if (!entry) throw Error(ErrorKind::kInternal, "cannot allocate an archive entry");
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    struct archive* a = archive_.get();
    check_write(a, archive_write_header(a, entry.get()), "header");
    size_t written = 0;
    while (written < data.size()) {
      la_ssize_t n = archive_write_data(a, data.data() + written, data.size() - written);
      if (n <= 0) check_write(a, ARCHIVE_FATAL, "data");
      written += static_cast<size_t>(n);
    }
  }

  void finish() { check_write(archive_.get(), archive_write_close(archive_.get()), "close"); }

 private:
  std::unique_ptr<struct archive, ArchiveWriterDeleter> archive_;
};

// --- reading: in memory, every entry checked, every byte counted ------------------

std::string libarchive_error(struct archive* a) {
  const char* detail = archive_error_string(a);
  return detail ? detail : "unknown error";
}

// Why an entry may not appear in a kix archive, or nullopt when its type and
// path are acceptable (the name itself is checked by the caller).
std::optional<std::string> refused_entry(struct archive_entry* entry, const std::string& name) {
  if (name.empty()) return "an entry has an empty name";
  if (name.front() == '/') return "entry '" + name + "' has an absolute path";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = std::min(name.find('/', start), name.size());
    if (std::string_view(name).substr(start, end - start) == "..") {
      return "entry '" + name + "' contains '..'";
    }
    start = end + 1;
  }
  if (archive_entry_hardlink(entry)) return "entry '" + name + "' is a hard link";
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      break;
    case AE_IFLNK:
      return "entry '" + name + "' is a symbolic link";
    case AE_IFDIR:
      return "entry '" + name + "' is a directory";
    case AE_IFCHR:
    case AE_IFBLK:
      return "entry '" + name + "' is a device";
    case AE_IFIFO:
      return "entry '" + name + "' is a FIFO";
    default:
      return "entry '" + name + "' is not a regular file";
  }
  if (archive_entry_sparse_count(entry) > 0) return "entry '" + name + "' is a sparse file";
  return std::nullopt;
}

Error expands_too_far(const ArchiveLimits& limits) {
  return invalid("it expands to more than " + std::to_string(limits.max_expanded_bytes) + " bytes");
}

// Reads one entry's data, counting the bytes actually produced rather than
// trusting the header's size, so a zstd bomb stops at the limits.
std::string read_entry_data(struct archive* a, const std::string& name, size_t& expanded,
                            const ArchiveLimits& limits) {
  std::string data;
  char chunk[kReadChunk];
  while (true) {
    la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
    if (n == 0) return data;
    if (n < 0)
      throw invalid("entry '" + name + "' is truncated or damaged: " + libarchive_error(a));
    expanded += static_cast<size_t>(n);
    if (expanded > limits.max_expanded_bytes) throw expands_too_far(limits);
    if (data.size() + static_cast<size_t>(n) > limits.max_entry_bytes) {
      throw invalid("entry '" + name + "' is larger than " +
                    std::to_string(limits.max_entry_bytes) + " bytes");
    }
    data.append(chunk, static_cast<size_t>(n));
  }
}

std::vector<std::pair<std::string, std::string>> read_tar_zstd(std::string_view bytes,
                                                               const ArchiveLimits& limits) {
  if (bytes.empty()) throw invalid("the file is empty (truncated?)");
  std::unique_ptr<struct archive, ArchiveReaderDeleter> owner(archive_read_new());
  struct archive* a = owner.get();
  if (!a) throw Error(ErrorKind::kInternal, "cannot allocate an archive reader");
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    throw invalid("not a zstd-compressed tar archive (truncated?): " + libarchive_error(a));
  }
  std::vector<std::pair<std::string, std::string>> entries;
  while (true) {
    struct archive_entry* entry = nullptr;
    int status = archive_read_next_header(a, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_OK) {
      throw invalid("the tar stream is truncated or damaged: " + libarchive_error(a));
    }
    if (archive_filter_code(a, 0) != ARCHIVE_FILTER_ZSTD) {
      throw invalid("the tar stream is not compressed with zstd");
    }
    // Headers (and the pax or GNU long-name records libarchive reads for
    // them, each bounded by libarchive) count too: the whole decompressed
    // stream so far, not only the data of the entries.
    size_t expanded = static_cast<size_t>(archive_filter_bytes(a, 0));
    if (expanded > limits.max_expanded_bytes) throw expands_too_far(limits);
    const char* path = archive_entry_pathname(entry);
    if (!path) throw invalid("an entry has a name that cannot be decoded");
    std::string name(path);
    if (auto why = refused_entry(entry, name)) throw invalid(*why);
    if (entries.size() == limits.max_entries) throw invalid("too many entries");
    if (archive_entry_size_is_set(entry) &&
        static_cast<uint64_t>(archive_entry_size(entry)) > limits.max_entry_bytes) {
      throw invalid("entry '" + name + "' is larger than " +
                    std::to_string(limits.max_entry_bytes) + " bytes");
    }
    std::string data = read_entry_data(a, name, expanded, limits);
    entries.emplace_back(std::move(name), std::move(data));
  }
  if (entries.empty() && archive_filter_code(a, 0) != ARCHIVE_FILTER_ZSTD) {
    throw invalid("the tar stream is not compressed with zstd");
  }
  return entries;
}

// --- the index ----------------------------------------------------------------------

Hash hash_field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) throw invalid(std::string("missing \"") + key + "\"");
  auto h = Hash::from_hex(it->get<std::string>());
  if (!h) throw invalid(std::string("\"") + key + "\" is not a 64-digit hex hash");
  return *h;
}

std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) throw invalid(std::string("missing \"") + key + "\"");
  return it->get<std::string>();
}

const Json& array_field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_array())
    throw invalid(std::string("missing list \"") + key + "\"");
  return *it;
}

ResourceId declared_identity(const std::string& canonical, const Hash& blob) {
  Json m;
  try {
    m = Json::parse(canonical);
  } catch (const Json::exception&) {
    throw invalid("blob " + blob.hex() + " is not JSON");
  }
  ResourceId id;
  if (m.is_object()) {
    id.api_version = m.value("apiVersion", "");
    id.kind = m.value("kind", "");
    if (auto md = m.find("metadata"); md != m.end() && md->is_object()) {
      id.ns = md->value("namespace", "");
      id.name = md->value("name", "");
    }
  }
  return id;
}

void read_index(const Json& index, ArchiveContents& out) {
  if (!index.is_object() || index.value("v", 0) != 1) throw invalid("unknown index version");
  std::unordered_set<Hash, HashHasher> node_set;
  for (const Json& n : array_field(index, "nodes")) {
    StoredNode node{hash_field(n, "hash"), hash_field(n, "blob"),
                    ResourceId{string_field(n, "apiVersion"), string_field(n, "kind"),
                               string_field(n, "namespace"), string_field(n, "name")}};
    auto blob = out.blobs.find(node.blob);
    if (blob == out.blobs.end()) throw invalid("node " + node.hash.hex() + " has no blob");
    if (declared_identity(blob->second, node.blob) != node.id) {
      throw invalid("node " + node.hash.hex() + " claims an identity its manifest does not have");
    }
    std::vector<Hash> targets;
    for (const Json& r : array_field(n, "refs")) {
      targets.push_back(hash_field(r, "to"));
      out.refs.push_back(StoredRef{node.hash, targets.back(), string_field(r, "reason")});
    }
    if (node_hash(node.blob, targets) != node.hash) {
      throw invalid("node " + node.hash.hex() + " does not match its blob and refs");
    }
    node_set.insert(node.hash);
    out.nodes.push_back(std::move(node));
  }
  for (const StoredRef& r : out.refs) {
    if (!node_set.count(r.to))
      throw invalid("node " + r.from.hex() + " references a node not in the archive");
  }
  for (const Json& r : array_field(index, "roots")) {
    StoredRoot root{hash_field(r, "hash"), string_field(r, "cluster"), {}};
    for (const Json& n : array_field(r, "nodes")) {
      if (!n.is_string() || !Hash::from_hex(n.get<std::string>()))
        throw invalid("a root lists a non-hash");
      root.nodes.push_back(*Hash::from_hex(n.get<std::string>()));
      if (!node_set.count(root.nodes.back())) {
        throw invalid("root " + root.hash.hex() + " lists a node not in the archive");
      }
    }
    std::sort(root.nodes.begin(), root.nodes.end());
    root.nodes.erase(std::unique(root.nodes.begin(), root.nodes.end()), root.nodes.end());
    if (root_hash(root.cluster, root.nodes) != root.hash) {
      throw invalid("root " + root.hash.hex() + " does not match its cluster name and nodes");
    }
    out.roots.push_back(std::move(root));
  }
}

}  // namespace

std::string export_archive(Store& store, const std::vector<Hash>& roots,
                           const std::vector<Hash>& nodes) {
  auto snapshot = store.snapshot();
  Json index{{"v", 1}, {"roots", Json::array()}, {"nodes", Json::array()}};
  std::vector<Hash> start = nodes;
  for (const Hash& r : roots) {
    auto root = store.find_root(r);
    if (!root) throw Error(ErrorKind::kNotFound, "no root " + r.hex() + " in the store");
    Json listed = Json::array();
    for (const Hash& n : root->nodes) listed.push_back(n.hex());
    index["roots"].push_back({{"hash", r.hex()}, {"cluster", root->cluster}, {"nodes", listed}});
    start.insert(start.end(), root->nodes.begin(), root->nodes.end());
  }
  std::set<Hash> blobs;
  for (const StoredNode& n : store.load_nodes(store.closure(start))) {
    Json refs = Json::array();
    for (const StoredRef& r : store.refs_from(n.hash)) {
      refs.push_back({{"to", r.to.hex()}, {"reason", r.reason}});
    }
    index["nodes"].push_back({{"hash", n.hash.hex()},
                              {"blob", n.blob.hex()},
                              {"apiVersion", n.id.api_version},
                              {"kind", n.id.kind},
                              {"namespace", n.id.ns},
                              {"name", n.id.name},
                              {"refs", refs}});
    blobs.insert(n.blob);
  }
  std::string archive;
  TarZstdWriter writer(archive);
  writer.add(kIndexName, index.dump());
  for (const Hash& b : blobs) writer.add(kBlobPrefix + b.hex(), store.read_blob(b));
  writer.finish();
  return archive;
}

ArchiveContents read_archive(std::string_view bytes, const ArchiveLimits& limits) {
  ArchiveContents out;
  std::optional<std::string> index_text;
  for (auto& [name, data] : read_tar_zstd(bytes, limits)) {
    if (name == kIndexName) {
      if (index_text) throw invalid("two index entries");
      index_text = data;
      continue;
    }
    std::optional<Hash> h;
    if (name.rfind(kBlobPrefix, 0) == 0) h = Hash::from_hex(std::string_view(name).substr(6));
    if (!h) throw invalid("unexpected entry '" + name + "'");
    if (Hash::of(data) != *h) throw invalid("blob " + h->hex() + " does not match its content");
    if (!out.blobs.emplace(*h, std::move(data)).second)
      throw invalid("two entries for blob " + h->hex());
  }
  if (!index_text) throw invalid(std::string("no ") + kIndexName);
  Json index;
  try {
    index = Json::parse(*index_text);
  } catch (const Json::exception&) {
    throw invalid(std::string(kIndexName) + " is not JSON");
  }
  try {
    read_index(index, out);
  } catch (const Json::exception&) {
    throw invalid(std::string(kIndexName) + " has a field of the wrong type");
  }
  return out;
}

ImportResult import_archive(Store& store, const ArchiveContents& contents) {
  sqlite::Database& db = store.database();
  ImportResult result;
  sqlite::Transaction t(db, sqlite::Transaction::Mode::kWrite);
  auto insert_blob =
      db.prepare("INSERT OR IGNORE INTO blobs (hash, raw_size, data) VALUES (?, ?, ?)");
  auto exists = db.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  for (const auto& [hash, canonical] : contents.blobs) {
    exists.bind(1, hash);
    bool stored = exists.step();
    exists.reset();
    if (stored) {
      ++result.reused_blobs;
      continue;
    }
    insert_blob.bind(1, hash)
        .bind(2, static_cast<int64_t>(canonical.size()))
        .bind_blob(3, store.codec().compress(canonical));
    insert_blob.run();
    ++result.new_blobs;
  }
  auto insert_node = db.prepare(
      "INSERT OR IGNORE INTO nodes (hash, blob, api_version, kind, namespace, name) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  for (const StoredNode& n : contents.nodes) {
    insert_node.bind(1, n.hash).bind(2, n.blob).bind(3, n.id.api_version).bind(4, n.id.kind);
    insert_node.bind(5, n.id.ns).bind(6, n.id.name);
    insert_node.run();
    result.nodes += static_cast<size_t>(db.changes());
  }
  auto insert_ref = db.prepare("INSERT OR IGNORE INTO refs (src, dst, reason) VALUES (?, ?, ?)");
  for (const StoredRef& r : contents.refs) {
    insert_ref.bind(1, r.from).bind(2, r.to).bind(3, r.reason);
    insert_ref.run();
  }
  auto insert_root =
      db.prepare("INSERT OR IGNORE INTO roots (hash, cluster, count, nodes) VALUES (?, ?, ?, ?)");
  for (const StoredRoot& r : contents.roots) {
    insert_root.bind(1, r.hash)
        .bind(2, r.cluster)
        .bind(3, static_cast<int64_t>(r.nodes.size()))
        .bind_blob(4, pack_hashes(r.nodes));
    insert_root.run();
    result.roots += static_cast<size_t>(db.changes());
  }
  t.commit();
  return result;
}

}  // namespace kix
