#include "store/store_archive.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/error.h"
#include "store/merkle.h"

namespace kix {

namespace {

constexpr size_t kBlock = 512;
constexpr const char* kIndexName = "kix-archive.json";
constexpr const char* kBlobPrefix = "blobs/";

Error invalid(const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "invalid kix archive: " + what, {},
               "the file is damaged or was not written by `kix store export`");
}

// --- ustar, only as much of it as kix writes ----------------------------------

void put_octal(char* field, size_t width, uint64_t value) {
  // width-1 digits and a NUL, as POSIX ustar expects.
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

uint32_t header_checksum(const char* header) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    // The checksum field itself counts as eight spaces.
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum;
}

void append_tar_entry(std::string& out, const std::string& name, std::string_view data) {
  char header[kBlock] = {};
  std::memcpy(header, name.data(), std::min<size_t>(name.size(), 99));
  put_octal(header + 100, 8, 0644);
  put_octal(header + 108, 8, 0);
  put_octal(header + 116, 8, 0);
  put_octal(header + 124, 12, data.size());
  put_octal(header + 136, 12, 0);  // mtime 0: the same closure gives the same bytes
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  put_octal(header + 148, 7, header_checksum(header));
  header[155] = ' ';
  out.append(header, kBlock);
  out.append(data);
  out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

uint64_t parse_octal(const char* field, size_t width, const std::string& entry) {
  uint64_t value = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (UINT64_MAX >> 3)) throw invalid("a size field overflows in entry " + entry);
    value = value << 3 | static_cast<uint64_t>(field[i] - '0');
  }
  if (i < width && field[i] != '\0' && field[i] != ' ') {
    throw invalid("a malformed number in the header of entry " + entry);
  }
  return value;
}

std::vector<std::pair<std::string, std::string_view>> read_tar(std::string_view tar,
                                                               const ArchiveLimits& limits) {
  std::vector<std::pair<std::string, std::string_view>> entries;
  size_t pos = 0;
  while (true) {
    if (pos + kBlock > tar.size()) throw invalid("the archive ends without its end marker");
    const char* header = tar.data() + pos;
    if (std::all_of(header, header + kBlock, [](char c) { return c == 0; })) return entries;
    std::string name(header, strnlen(header, 100));
    if (parse_octal(header + 148, 8, name) != header_checksum(header)) {
      throw invalid("bad header checksum at byte " + std::to_string(pos));
    }
    if (header[156] != '0' && header[156] != '\0') {
      throw invalid("entry '" + name + "' is not a regular file");
    }
    if (header[345] != '\0') throw invalid("entry '" + name + "' uses a long name");
    uint64_t size = parse_octal(header + 124, 12, name);
    if (size > limits.max_entry_bytes) throw invalid("entry '" + name + "' is too large");
    pos += kBlock;
    if (size > tar.size() - pos) throw invalid("entry '" + name + "' is truncated");
    if (entries.size() == limits.max_entries) throw invalid("too many entries");
    entries.emplace_back(std::move(name), tar.substr(pos, size));
    pos += (size + kBlock - 1) / kBlock * kBlock;
  }
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
  std::string tar;
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
  append_tar_entry(tar, kIndexName, index.dump());
  for (const Hash& b : blobs) append_tar_entry(tar, kBlobPrefix + b.hex(), store.read_blob(b));
  tar.append(2 * kBlock, '\0');
  return store.codec().compress(tar);
}

ArchiveContents read_archive(std::string_view bytes, const ArchiveLimits& limits) {
  ZstdCodec codec;
  std::string tar = codec.decompress_bounded(bytes, limits.max_expanded_bytes, "kix archive");
  ArchiveContents out;
  std::optional<std::string_view> index_text;
  for (const auto& [name, data] : read_tar(tar, limits)) {
    if (name == kIndexName) {
      if (index_text) throw invalid("two index entries");
      index_text = data;
      continue;
    }
    std::optional<Hash> h;
    if (name.rfind(kBlobPrefix, 0) == 0) h = Hash::from_hex(std::string_view(name).substr(6));
    if (!h) throw invalid("unexpected entry '" + name + "'");
    if (Hash::of(data) != *h) throw invalid("blob " + h->hex() + " does not match its content");
    out.blobs.emplace(*h, std::string(data));
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
