#include "store/store.h"

#include <algorithm>
#include <unordered_map>

#include "manifest/canonical_scan.h"
#include "manifest/secrets.h"
#include "util/error.h"

namespace kix {

std::string canonical_bytes(const GraphView& graph, size_t index, const BlobSource* source) {
  if (index >= graph.size()) throw Error(ErrorKind::kInternal, "resource index out of range");
  if (std::optional<std::string_view> held = graph.held_canonical(index)) return std::string(*held);
  if (source == nullptr) {
    throw Error(ErrorKind::kInternal, "the bytes of " + graph.id(index).display() +
                                          " were dropped and no source gives them back");
  }
  std::string bytes = source->canonical(index);
  if (bytes.size() != graph.canonical_size(index) || Hash::of(bytes) != graph.blob(index)) {
    throw Error(ErrorKind::kConflict,
                graph.id(index).display() + " changed while it was being added",
                graph.location(index), "run the command again");
  }
  return bytes;
}

std::string_view object_kind_name(ObjectKind kind) {
  return kind == ObjectKind::kRoot ? "root" : "node";
}

Json Store::read_manifest(const Hash& blob) {
  return parse_manifest(blob, read_blob(blob));
}

Json Store::parse_manifest(const Hash& blob, std::string_view raw) {
  // Stored blobs are canonical JSON: read as such in a fraction of the
  // general parser's time; anything else is the parser's to judge.
  if (std::optional<Json> value = parse_canonical_json(raw)) return std::move(*value);
  try {
    return Json::parse(raw);
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::kCorruption,
                "blob " + blob.hex() + " is not valid JSON: " + std::string(e.what()), {},
                "run `kix store verify`");
  }
}

Manifest Store::load_manifest(const Hash& blob, SecretKeyring* keys, const std::string& where) {
  Json value = read_manifest(blob);
  SourceLocation location{where};
  if (!is_secret(value)) return make_manifest(std::move(value), location);
  std::optional<SealedSecret> sealed = sealed_secret(blob);
  if (!sealed) {
    // Only a Secret without values is stored without a sealed row: values
    // in plaintext mean tampering, a hash form without them lost values.
    if (has_secret_values(value)) {
      throw Error(ErrorKind::kCorruption,
                  "blob " + blob.hex() +
                      (is_hash_form(value) ? " is a Secret whose sealed values are missing"
                                           : " is a Secret with values in plaintext"),
                  {}, "run `kix store verify`");
    }
    return sealed_manifest(std::move(value), blob, nullptr, keys, location);
  }
  return sealed_manifest(std::move(value), blob,
                         std::make_shared<const SealedSecret>(std::move(*sealed)), keys, location);
}

bool Store::is_pinned(const Hash& hash) {
  auto all = pins();
  return std::any_of(all.begin(), all.end(), [&](const Pin& p) { return p.hash == hash; });
}

RootGraph Store::load_graph(const Hash& root_hash, SecretKeyring* keys) {
  auto snap = snapshot();
  std::optional<StoredRoot> root = find_root(root_hash);
  if (!root) {
    throw Error(ErrorKind::kNotFound, "no root " + root_hash.hex() + " in the " + describe());
  }
  std::vector<StoredNode> nodes = load_nodes(root->nodes);
  std::unordered_map<Hash, size_t, HashHasher> index;
  for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].hash, i);
  std::vector<Manifest> manifests;
  manifests.reserve(nodes.size());
  std::vector<std::vector<size_t>> refs(nodes.size());
  std::vector<std::vector<std::string>> reasons(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    manifests.push_back(load_manifest(nodes[i].blob, keys, "root " + root_hash.hex()));
    for (StoredRef& r : refs_from(nodes[i].hash)) {
      auto target = index.find(r.to);
      // A node of the root references only nodes of the root: a root is
      // closed under references when it is added.
      if (target == index.end()) {
        throw Error(ErrorKind::kCorruption,
                    "node " + nodes[i].hash.hex() + " of root " + root_hash.hex() +
                        " references node " + r.to.hex() + ", which the root does not list",
                    {}, "run `kix store verify`");
      }
      refs[i].push_back(target->second);
      reasons[i].push_back(std::move(r.reason));
    }
  }
  RootGraph out{root_hash, root->cluster,
                build_graph(std::move(manifests), std::move(refs), std::move(reasons))};
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (out.graph.nodes[i] != nodes[i].hash) {
      throw Error(ErrorKind::kCorruption,
                  "node " + nodes[i].hash.hex() + " does not match its manifest and references", {},
                  "run `kix store verify`");
    }
  }
  if (out.graph.root(out.cluster) != root_hash) {
    throw Error(ErrorKind::kCorruption, "root " + root_hash.hex() + " does not match its nodes", {},
                "run `kix store verify`");
  }
  return out;
}

}  // namespace kix
