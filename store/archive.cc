#include "store/archive.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "manifest/merkle.h"
#include "manifest/secrets.h"
#include "store/json_fields.h"
#include "store/tar_writer.h"
#include "store/verify.h"
#include "util/error.h"
#include "util/tar_reader.h"

namespace kix {

namespace {

constexpr const char* kIndexName = "kix-archive.json";
constexpr const char* kBlobPrefix = "blobs/";
constexpr const char* kSealedPrefix = "sealed/";

Error invalid(const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "invalid kix archive: " + what, {},
               "the file is damaged or was not written by `kix store export`");
}

// --- reading: in memory, every entry checked, every byte counted (util/tar_reader.h)

std::vector<std::pair<std::string, std::string>> read_tar_zstd(std::string_view bytes,
                                                               const ArchiveLimits& limits) {
  TarReadOptions options;
  options.compression = TarCompression::kZstd;
  options.limits = {limits.max_expanded_bytes, limits.max_entries, limits.max_entry_bytes};
  std::vector<TarEntry> entries;
  try {
    entries = read_tar(bytes, options);
  } catch (const Error& e) {
    throw invalid(e.message());
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(entries.size());
  for (TarEntry& entry : entries) out.emplace_back(std::move(entry.path), std::move(entry.data));
  return out;
}

// --- the index ----------------------------------------------------------------------

// Field access for the index: every problem is an invalid archive.
const JsonFields& fields() {
  static const JsonFields f([](const std::string& what) { return invalid(what); });
  return f;
}

struct Parts {
  int version = 1;
  History history;
  std::vector<StoredRoot> roots;
  std::vector<StoredNode> nodes;
  std::vector<StoredRef> refs;
  std::map<Hash, SealedSecret> sealed;  // envelopes filled in from the entries
};

Parts read_index(const Json& index) {
  int version = index.is_object() ? index.value("v", 0) : 0;
  if (version < 1 || version > 3) throw invalid("unknown index version");
  Parts out;
  out.version = version;
  if (version == 3) {
    auto it = index.find("history");
    if (it == index.end()) throw invalid("missing \"history\"");
    try {
      out.history = history_from_json(*it);
    } catch (const Error& e) {
      throw invalid(e.message());
    }
  }
  const JsonFields& f = fields();
  if (version >= 2) {
    for (const Json& s : f.list(index, "secrets")) {
      Hash blob = f.hash(s, "blob");
      SealedSecret sealed{f.text(s, "keyId"), {}, s.contains("legacy") && f.boolean(s, "legacy")};
      if (!out.sealed.emplace(blob, std::move(sealed)).second) {
        throw invalid("two secrets entries for blob " + blob.hex());
      }
    }
  }
  for (const Json& n : f.list(index, "nodes")) {
    StoredNode node{f.hash(n, "hash"), f.hash(n, "blob"),
                    ResourceId{f.text(n, "apiVersion"), f.text(n, "kind"), f.text(n, "namespace"),
                               f.text(n, "name")}};
    for (const Json& r : f.list(n, "refs")) {
      out.refs.push_back(StoredRef{node.hash, f.hash(r, "to"), f.text(r, "reason")});
    }
    out.nodes.push_back(std::move(node));
  }
  for (const Json& r : f.list(index, "roots")) {
    out.roots.push_back(StoredRoot{f.hash(r, "hash"), f.text(r, "cluster"), f.hashes(r, "nodes")});
  }
  return out;
}

// A version 1 archive (kix 0.1.0) holds Secrets in plaintext: they are
// sealed as they come in, keeping their hashes (legacy), so their values
// never reach a store readable.
void seal_plaintext(std::map<Hash, std::string>& blobs, std::map<Hash, SealedSecret>& sealed,
                    SecretKeyring* keys) {
  for (auto& [hash, bytes] : blobs) {
    if (!mentions_secret(bytes)) continue;
    Json value = Json::parse(bytes, nullptr, false);
    if (!is_secret(value) || !has_secret_values(value) || is_hash_form(value)) continue;
    if (keys == nullptr) {
      throw Error(ErrorKind::kNotFound,
                  "the archive (written by kix 0.1.0) holds Secrets in plaintext; importing it "
                  "seals them, which needs the secret key",
                  {}, "import it with kix, which creates the key on first need (docs/secrets.md)");
    }
    const SecretKey& key = keys->key_for_sealing();
    SecretSplit split = split_secret(value, key, hash);
    bytes = canonical_json(split.hash_form);
    sealed[hash] = SealedSecret{key.id(), std::move(split.envelope), true};
  }
}

Json index_of(const Closure& closure) {
  // The oldest version that holds what the closure has: without sealed
  // Secrets or history it stays readable by kix 0.1.0.
  const int version = !closure.history().empty() ? 3 : !closure.sealed().empty() ? 2 : 1;
  Json index{{"v", version}, {"roots", Json::array()}, {"nodes", Json::array()}};
  if (version == 3) index["history"] = history_to_json(closure.history());
  if (version >= 2) {
    Json& secrets = index["secrets"] = Json::array();
    for (const auto& [blob, sealed] : closure.sealed()) {
      secrets.push_back(
          {{"blob", blob.hex()}, {"keyId", sealed.key_id}, {"legacy", sealed.legacy}});
    }
  }
  for (const StoredRoot& root : closure.roots()) {
    Json listed = Json::array();
    for (const Hash& n : root.nodes) listed.push_back(n.hex());
    index["roots"].push_back(
        {{"hash", root.hash.hex()}, {"cluster", root.cluster}, {"nodes", listed}});
  }
  auto ref = closure.refs().begin();
  for (const StoredNode& n : closure.nodes()) {
    Json refs = Json::array();
    while (ref != closure.refs().end() && ref->from < n.hash) ++ref;
    for (; ref != closure.refs().end() && ref->from == n.hash; ++ref) {
      refs.push_back({{"to", ref->to.hex()}, {"reason", ref->reason}});
    }
    index["nodes"].push_back({{"hash", n.hash.hex()},
                              {"blob", n.blob.hex()},
                              {"apiVersion", n.id.api_version},
                              {"kind", n.id.kind},
                              {"namespace", n.id.ns},
                              {"name", n.id.name},
                              {"refs", refs}});
  }
  return index;
}

}  // namespace

Closure Closure::check(std::vector<StoredRoot> roots, std::vector<StoredNode> nodes,
                       std::vector<StoredRef> refs, std::map<Hash, std::string> blobs,
                       std::map<Hash, SealedSecret> sealed, const std::string& source) {
  return check(std::move(roots), std::move(nodes), std::move(refs), std::move(blobs),
               std::move(sealed), History{}, source);
}

Closure Closure::check(std::vector<StoredRoot> roots, std::vector<StoredNode> nodes,
                       std::vector<StoredRef> refs, std::map<Hash, std::string> blobs,
                       std::map<Hash, SealedSecret> sealed, History history,
                       const std::string& source) {
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::kInvalidInput, source + ": " + what, {},
                 "the data is damaged or was not written by kix; nothing was stored");
  };
  std::map<Hash, ResourceId> identities;
  for (const auto& [hash, bytes] : blobs) {
    auto it = sealed.find(hash);
    BlobState state = check_blob_bytes(hash, bytes, it == sealed.end() ? nullptr : &it->second);
    if (!state.ok) throw bad("blob " + hash.hex() + " is not valid: " + state.problem);
    identities.emplace(hash, std::move(state.identity));
  }
  for (const auto& [hash, s] : sealed) {
    if (!blobs.count(hash)) throw bad("sealed values of blob " + hash.hex() + ", which it lacks");
    if (SecretKey::envelope_key_id(s.envelope) != s.key_id) {
      throw bad("the sealed values of blob " + hash.hex() + " are not an envelope of key " +
                s.key_id);
    }
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const StoredNode& a, const StoredNode& b) { return a.hash < b.hash; });
  for (size_t i = 1; i < nodes.size(); ++i) {
    if (nodes[i].hash == nodes[i - 1].hash)
      throw bad("node " + nodes[i].hash.hex() + " is listed twice");
  }
  std::sort(refs.begin(), refs.end(), [](const StoredRef& a, const StoredRef& b) {
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  });
  for (size_t i = 1; i < refs.size(); ++i) {
    if (refs[i].from == refs[i - 1].from && refs[i].to == refs[i - 1].to) {
      throw bad("node " + refs[i].from.hex() + " references node " + refs[i].to.hex() + " twice");
    }
  }
  auto known = [&](const Hash& h) {
    return std::binary_search(
        nodes.begin(), nodes.end(), StoredNode{h, {}, {}},
        [](const StoredNode& a, const StoredNode& b) { return a.hash < b.hash; });
  };
  auto ref = refs.begin();
  for (const StoredNode& node : nodes) {
    auto identity = identities.find(node.blob);
    if (identity == identities.end()) throw bad("node " + node.hash.hex() + " has no blob");
    if (identity->second != node.id) {
      throw bad("node " + node.hash.hex() + " claims an identity its manifest does not have");
    }
    if (ref != refs.end() && ref->from < node.hash) {
      throw bad("node " + ref->from.hex() + " has references but is not in the closure");
    }
    std::vector<Hash> targets;
    for (; ref != refs.end() && ref->from == node.hash; ++ref) {
      if (!known(ref->to)) {
        throw bad("node " + node.hash.hex() + " references node " + ref->to.hex() +
                  ", which is not in the closure");
      }
      targets.push_back(ref->to);
    }
    if (node_hash(node.blob, targets) != node.hash) {
      throw bad("node " + node.hash.hex() + " does not match its blob and refs");
    }
  }
  if (ref != refs.end()) {
    throw bad("node " + ref->from.hex() + " has references but is not in the closure");
  }
  for (StoredRoot& root : roots) {
    std::sort(root.nodes.begin(), root.nodes.end());
    root.nodes.erase(std::unique(root.nodes.begin(), root.nodes.end()), root.nodes.end());
    for (const Hash& n : root.nodes) {
      if (!known(n)) throw bad("root " + root.hash.hex() + " lists a node not in the closure");
    }
    // A root is a whole build: what its resources reference is part of it.
    auto edge =
        std::lower_bound(refs.begin(), refs.end(), root.nodes.empty() ? Hash() : root.nodes.front(),
                         [](const StoredRef& r, const Hash& h) { return r.from < h; });
    for (; edge != refs.end(); ++edge) {
      if (!std::binary_search(root.nodes.begin(), root.nodes.end(), edge->from)) continue;
      if (!std::binary_search(root.nodes.begin(), root.nodes.end(), edge->to)) {
        throw bad("root " + root.hash.hex() + " lists node " + edge->from.hex() +
                  ", which references node " + edge->to.hex() + " that the root does not list");
      }
    }
    if (root_hash(root.cluster, root.nodes) != root.hash) {
      throw bad("root " + root.hash.hex() + " does not match its cluster name and nodes");
    }
  }
  std::sort(roots.begin(), roots.end(),
            [](const StoredRoot& a, const StoredRoot& b) { return a.hash < b.hash; });
  roots.erase(
      std::unique(roots.begin(), roots.end(),
                  [](const StoredRoot& a, const StoredRoot& b) { return a.hash == b.hash; }),
      roots.end());
  std::set<Hash> root_set, node_set;
  for (const StoredRoot& r : roots) root_set.insert(r.hash);
  for (const StoredNode& n : nodes) node_set.insert(n.hash);
  Closure c;
  c.history_ = check_history(std::move(history), root_set, node_set, source);
  c.roots_ = std::move(roots);
  c.nodes_ = std::move(nodes);
  c.refs_ = std::move(refs);
  c.blobs_ = std::move(blobs);
  c.sealed_ = std::move(sealed);
  return c;
}

Closure export_closure(Store& store, const std::vector<Hash>& roots,
                       const std::vector<Hash>& nodes) {
  return export_closure(store, ExportRequest{roots, nodes, {}, false});
}

Closure export_closure(Store& store, const ExportRequest& request) {
  auto snapshot = store.snapshot();
  std::set<Hash> carried_roots(request.roots.begin(), request.roots.end());
  std::set<Hash> carried_nodes(request.nodes.begin(), request.nodes.end());
  History history =
      read_history(store, request.histories, request.pins, carried_roots, carried_nodes);
  for (const Hash& r : history_roots(history)) carried_roots.insert(r);
  std::vector<StoredRoot> stored_roots;
  std::vector<Hash> start = request.nodes;
  for (const Hash& r : carried_roots) {
    auto root = store.find_root(r);
    if (!root) throw Error(ErrorKind::kNotFound, "no root " + r.hex() + " in the store");
    start.insert(start.end(), root->nodes.begin(), root->nodes.end());
    stored_roots.push_back(std::move(*root));
  }
  std::vector<StoredNode> stored_nodes = store.load_nodes(store.closure(start));
  std::vector<StoredRef> refs;
  std::map<Hash, std::string> blobs;
  std::map<Hash, SealedSecret> sealed;
  for (const StoredNode& n : stored_nodes) {
    for (StoredRef& r : store.refs_from(n.hash)) refs.push_back(std::move(r));
    if (blobs.count(n.blob)) continue;
    blobs.emplace(n.blob, store.read_blob(n.blob));
    if (auto s = store.sealed_secret(n.blob)) sealed.emplace(n.blob, std::move(*s));
  }
  try {
    return Closure::check(std::move(stored_roots), std::move(stored_nodes), std::move(refs),
                          std::move(blobs), std::move(sealed), std::move(history),
                          store.describe());
  } catch (const Error& e) {
    // What the store holds failed the checks: damage, not bad input.
    throw Error(ErrorKind::kCorruption, e.message(), {},
                "run `kix store verify` to see what is damaged");
  }
}

std::string write_archive(const Closure& closure) {
  std::string archive;
  TarWriter writer(archive, TarWriteCompression::kZstd);
  writer.add(kIndexName, index_of(closure).dump());
  for (const auto& [hash, bytes] : closure.blobs()) writer.add(kBlobPrefix + hash.hex(), bytes);
  for (const auto& [hash, s] : closure.sealed()) writer.add(kSealedPrefix + hash.hex(), s.envelope);
  writer.finish();
  return archive;
}

Closure read_archive(std::string_view bytes, const ArchiveLimits& limits, SecretKeyring* keys) {
  std::map<Hash, std::string> blobs;
  std::map<Hash, std::string> envelopes;
  std::optional<std::string> index_text;
  for (auto& [name, data] : read_tar_zstd(bytes, limits)) {
    if (name == kIndexName) {
      if (index_text) throw invalid("two index entries");
      index_text = std::move(data);
      continue;
    }
    if (name.rfind(kSealedPrefix, 0) == 0) {
      auto s =
          Hash::from_hex(std::string_view(name).substr(std::string_view(kSealedPrefix).size()));
      if (!s) throw invalid("unexpected entry '" + name + "'");
      if (!envelopes.emplace(*s, std::move(data)).second) {
        throw invalid("two entries for the sealed values of blob " + s->hex());
      }
      continue;
    }
    std::optional<Hash> h;
    if (name.rfind(kBlobPrefix, 0) == 0) h = Hash::from_hex(std::string_view(name).substr(6));
    if (!h) throw invalid("unexpected entry '" + name + "'");
    if (!blobs.emplace(*h, std::move(data)).second)
      throw invalid("two entries for blob " + h->hex());
  }
  if (!index_text) throw invalid(std::string("no ") + kIndexName);
  Json index;
  try {
    index = Json::parse(*index_text);
  } catch (const Json::exception&) {
    throw invalid(std::string(kIndexName) + " is not JSON");
  }
  Parts parts;
  try {
    parts = read_index(index);
  } catch (const Json::exception&) {
    throw invalid(std::string(kIndexName) + " has a field of the wrong type");
  }
  for (auto& [blob, envelope] : envelopes) {
    auto it = parts.sealed.find(blob);
    if (it == parts.sealed.end())
      throw invalid("sealed values of blob " + blob.hex() + " the index does not list");
    it->second.envelope = std::move(envelope);
  }
  for (const auto& [blob, s] : parts.sealed) {
    if (s.envelope.empty()) throw invalid("no sealed values for blob " + blob.hex());
  }
  if (parts.version == 1) seal_plaintext(blobs, parts.sealed, keys);
  try {
    return Closure::check(std::move(parts.roots), std::move(parts.nodes), std::move(parts.refs),
                          std::move(blobs), std::move(parts.sealed), std::move(parts.history),
                          "invalid kix archive");
  } catch (const Error& e) {
    throw Error(ErrorKind::kInvalidInput, e.message(), {},
                "the file is damaged or was not written by `kix store export`");
  }
}

}  // namespace kix
