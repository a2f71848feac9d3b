#include "store/oci_artifact.h"

#include <algorithm>
#include <map>
#include <set>

#include "manifest/result_dir.h"
#include "manifest/secret_sources.h"
#include "manifest/secrets.h"
#include "manifest/waves.h"
#include "manifest/yaml_writer.h"
#include "store/json_fields.h"
#include "store/tar_writer.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/tar_reader.h"

namespace kix {

namespace {

constexpr const char* kPackIndexName = "kix-pack.json";
constexpr const char* kBlobPrefix = "blobs/";
constexpr const char* kSealedPrefix = "sealed/";

std::string digest_of(std::string_view data) {
  return "sha256:" + Hash::of(data).hex();
}

ArtifactBlob blob(const char* media_type, std::string data) {
  ArtifactBlob b{media_type, digest_of(data), std::move(data), std::nullopt};
  return b;
}

Json hex_list(const std::vector<Hash>& hashes) {
  Json out = Json::array();
  for (const Hash& h : hashes) out.push_back(h.hex());
  return out;
}

// Which resources Flux gets: every one but Secrets (ciphertext only leaves
// the store) and kix's own kinds, which only `kix deploy` understands.
bool for_flux(const Manifest& m) {
  if (is_secret(m.value) || is_secret_source(m.id)) return false;
  const std::string& api = m.id.api_version;
  return api.rfind("kix.dev/", 0) != 0;
}

struct FluxLayer {
  std::string data;
  size_t files = 0;
  size_t withheld = 0;
};

FluxLayer flux_layer(Store& store, const Hash& root) {
  RootGraph loaded = store.load_graph(root);
  const Graph& graph = loaded.graph;
  std::vector<std::vector<size_t>> waves = plan_waves(graph);
  std::vector<std::string> names = result_file_names(graph);
  const size_t width = std::max<size_t>(3, std::to_string(waves.size()).size());
  FluxLayer out;
  TarWriter writer(out.data, TarWriteCompression::kGzip);
  // Names sort in wave order: the wave first, zero-padded.
  std::vector<std::pair<std::string, size_t>> files;
  for (size_t w = 0; w < waves.size(); ++w) {
    std::string prefix = std::to_string(w + 1);
    prefix.insert(0, width - prefix.size(), '0');
    for (size_t i : waves[w]) {
      if (!for_flux(graph.manifests[i])) {
        ++out.withheld;
        continue;
      }
      files.emplace_back(prefix + "-" + names[i], i);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& [name, i] : files) writer.add(name, to_yaml(graph.manifests[i].value));
  writer.finish();
  out.files = files.size();
  return out;
}

// The order packs are made in: history first, so that a pack is a function
// of the roots before it (docs/oci.md).
std::vector<const StoredRoot*> carried_order(const Closure& closure) {
  std::map<Hash, const StoredRoot*> by_hash;
  for (const StoredRoot& r : closure.roots()) by_hash.emplace(r.hash, &r);
  std::vector<const StoredRoot*> order;
  std::set<Hash> seen;
  for (const ClusterHistory& h : closure.history().clusters) {
    for (const Generation& g : h.generations) {
      if (seen.insert(g.root).second) order.push_back(by_hash.at(g.root));
    }
  }
  for (const auto& [hash, root] : by_hash) {
    if (seen.insert(hash).second) order.push_back(root);
  }
  return order;
}

class PackBuilder {
 public:
  explicit PackBuilder(const Closure& closure) : closure_(closure) {
    for (const StoredNode& n : closure.nodes()) nodes_.emplace(n.hash, &n);
  }

  // The pack of what `root` (nullptr: every node left) needs that no
  // earlier pack holds; `base` is the root of the pack before.
  std::string pack(const StoredRoot* root, const StoredRoot* base) {
    Json index{{"v", 1}, {"nodes", Json::array()}, {"secrets", Json::array()}};
    std::vector<const StoredNode*> fresh;
    if (root != nullptr) {
      index["root"] = root_json(*root, base);
      for (const Hash& h : root->nodes) {
        if (packed_nodes_.insert(h).second) fresh.push_back(nodes_.at(h));
      }
    } else {
      index["root"] = nullptr;
      for (const auto& [hash, node] : nodes_) {
        if (packed_nodes_.insert(hash).second) fresh.push_back(node);
      }
    }
    std::string data;
    TarWriter writer(data, TarWriteCompression::kZstd);
    std::vector<Hash> blobs;
    for (const StoredNode* n : fresh) {
      Json refs = Json::array();
      auto first = std::lower_bound(closure_.refs().begin(), closure_.refs().end(), n->hash,
                                    [](const StoredRef& r, const Hash& h) { return r.from < h; });
      for (auto r = first; r != closure_.refs().end() && r->from == n->hash; ++r) {
        refs.push_back({{"to", r->to.hex()}, {"reason", r->reason}});
      }
      index["nodes"].push_back({{"hash", n->hash.hex()},
                                {"blob", n->blob.hex()},
                                {"apiVersion", n->id.api_version},
                                {"kind", n->id.kind},
                                {"namespace", n->id.ns},
                                {"name", n->id.name},
                                {"refs", refs}});
      if (packed_blobs_.insert(n->blob).second) blobs.push_back(n->blob);
    }
    std::sort(blobs.begin(), blobs.end());
    for (const Hash& b : blobs) {
      if (auto s = closure_.sealed().find(b); s != closure_.sealed().end()) {
        index["secrets"].push_back(
            {{"blob", b.hex()}, {"keyId", s->second.key_id}, {"legacy", s->second.legacy}});
      }
    }
    writer.add(kPackIndexName, index.dump());
    for (const Hash& b : blobs) writer.add(kBlobPrefix + b.hex(), closure_.blobs().at(b));
    for (const Hash& b : blobs) {
      if (auto s = closure_.sealed().find(b); s != closure_.sealed().end()) {
        writer.add(kSealedPrefix + b.hex(), s->second.envelope);
      }
    }
    writer.finish();
    return data;
  }

  bool all_packed() const { return packed_nodes_.size() == nodes_.size(); }

 private:
  // The node list, as a delta against the previous root when that is
  // smaller: most of a generation is the generation before it.
  static Json root_json(const StoredRoot& root, const StoredRoot* base) {
    Json out{{"hash", root.hash.hex()}, {"cluster", root.cluster}};
    if (base != nullptr) {
      std::vector<Hash> added, removed;
      std::set_difference(root.nodes.begin(), root.nodes.end(), base->nodes.begin(),
                          base->nodes.end(), std::back_inserter(added));
      std::set_difference(base->nodes.begin(), base->nodes.end(), root.nodes.begin(),
                          root.nodes.end(), std::back_inserter(removed));
      if (added.size() + removed.size() < root.nodes.size()) {
        out["base"] = base->hash.hex();
        out["added"] = hex_list(added);
        out["removed"] = hex_list(removed);
        return out;
      }
    }
    out["base"] = nullptr;
    out["nodes"] = hex_list(root.nodes);
    return out;
  }

  const Closure& closure_;
  std::map<Hash, const StoredNode*> nodes_;
  std::set<Hash> packed_nodes_;
  std::set<Hash> packed_blobs_;
};

Json descriptor(const ArtifactBlob& b) {
  return {{"mediaType", b.media_type}, {"digest", b.digest}, {"size", b.data.size()}};
}

}  // namespace

Artifact build_artifact(Store& store, const Closure& closure, const ArtifactRequest& request) {
  const StoredRoot* pushed = nullptr;
  for (const StoredRoot& r : closure.roots()) {
    if (r.hash == request.root) pushed = &r;
  }
  if (pushed == nullptr) {
    throw Error(ErrorKind::kInvalidInput,
                "root " + request.root.hex() + " is not among what is being pushed");
  }
  Artifact out;
  out.config = blob(request.flux ? kFluxConfigType : kKixConfigType, "{}");
  if (request.flux) {
    FluxLayer flux = flux_layer(store, request.root);
    out.flux_files = flux.files;
    out.withheld_secrets = flux.withheld;
    out.layers.push_back(blob(kFluxContentType, std::move(flux.data)));
  }

  PackBuilder builder(closure);
  std::vector<ArtifactBlob> packs;
  Json pack_list = Json::array();
  const StoredRoot* base = nullptr;
  for (const StoredRoot* root : carried_order(closure)) {
    ArtifactBlob pack = blob(kKixPackType, builder.pack(root, base));
    pack.root = root->hash;
    pack_list.push_back({{"digest", pack.digest}, {"root", root->hash.hex()}});
    packs.push_back(std::move(pack));
    base = root;
  }
  if (!builder.all_packed()) {
    ArtifactBlob pack = blob(kKixPackType, builder.pack(nullptr, base));
    pack_list.push_back({{"digest", pack.digest}, {"root", nullptr}});
    packs.push_back(std::move(pack));
  }
  Json index{{"v", 1},
             {"root", request.root.hex()},
             {"cluster", pushed->cluster},
             {"history", history_to_json(closure.history())},
             {"packs", pack_list}};
  if (request.generation) {
    index["generation"] = {{"cluster", request.generation->cluster},
                           {"number", request.generation->number}};
  } else {
    index["generation"] = nullptr;
  }
  out.layers.push_back(blob(kKixIndexType, index.dump()));
  for (ArtifactBlob& p : packs) out.layers.push_back(std::move(p));

  Json layers = Json::array();
  for (const ArtifactBlob& l : out.layers) layers.push_back(descriptor(l));
  int64_t created = 0;
  if (request.generation) created = request.generation->time;
  const std::string revision = (request.generation && !request.generation->source_revision.empty()
                                    ? request.generation->source_revision + "@"
                                    : "") +
                               "sha256:" + request.root.hex();
  Json annotations{{"org.opencontainers.image.created", format_utc_time(created)},
                   {"org.opencontainers.image.source", request.source},
                   {"org.opencontainers.image.revision", revision},
                   {"dev.kix.root", request.root.hex()},
                   {"dev.kix.cluster", pushed->cluster}};
  if (request.generation) {
    annotations["dev.kix.cluster"] = request.generation->cluster;
    annotations["dev.kix.generation"] = std::to_string(request.generation->number);
  }
  Json manifest{{"schemaVersion", 2},
                {"mediaType", kOciManifestType},
                {"config", descriptor(out.config)},
                {"layers", layers},
                {"annotations", annotations}};
  out.manifest = manifest.dump();
  out.digest = digest_of(out.manifest);
  return out;
}

// --- reading ------------------------------------------------------------------------

namespace {

Error not_ours(const std::string& source, const std::string& what) {
  return Error(ErrorKind::kInvalidInput, source + " is not a kix store artifact: " + what, {},
               "pull an artifact that `kix store push` wrote (docs/oci.md)");
}

Error damaged(const std::string& source, const std::string& what) {
  return Error(ErrorKind::kInvalidInput, source + ": " + what, {},
               "the artifact is damaged or was not written by kix; nothing was stored");
}

// Field access for what an artifact holds, every problem named with `source`.
JsonFields fields_of(const std::string& source) {
  return JsonFields([source](const std::string& what) { return damaged(source, what); });
}

ArtifactBlob descriptor_of(const Json& d, const std::string& source, size_t max_bytes) {
  if (!d.is_object() || !d.contains("mediaType") || !d["mediaType"].is_string() ||
      !d.contains("digest") || !d["digest"].is_string() || !d.contains("size") ||
      !d["size"].is_number_unsigned()) {
    throw damaged(source, "a descriptor lacks mediaType, digest or size");
  }
  ArtifactBlob b;
  b.media_type = d["mediaType"].get<std::string>();
  b.digest = d["digest"].get<std::string>();
  const std::string prefix = "sha256:";
  if (b.digest.rfind(prefix, 0) != 0 || !Hash::from_hex(b.digest.substr(prefix.size()))) {
    throw damaged(source, "digest '" + b.digest + "' is not sha256:<64 hex>");
  }
  if (d["size"].get<uint64_t>() > max_bytes) {
    throw damaged(source, "layer " + b.digest + " is larger than kix reads (" +
                              std::to_string(max_bytes) + " bytes)");
  }
  return b;
}

}  // namespace

ArtifactManifest parse_artifact_manifest(const std::string& body, const std::string& digest,
                                         const std::string& source, const ArtifactLimits& limits) {
  if (body.size() > limits.max_manifest_bytes) throw damaged(source, "the manifest is too large");
  Json m = Json::parse(body, nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw not_ours(source, "the manifest is not JSON");
  if (m.contains("mediaType") && m["mediaType"] != kOciManifestType) {
    throw not_ours(source, "its manifest is a " + m["mediaType"].dump());
  }
  const std::string config = m.contains("config") && m["config"].is_object()
                                 ? m["config"].value("mediaType", "?")
                                 : "none";
  if (config != kFluxConfigType && config != kKixConfigType) {
    throw not_ours(
        source, "its config is " + config + ", not " + kFluxConfigType + " or " + kKixConfigType);
  }
  ArtifactManifest out;
  out.digest = digest;
  out.flux = config == kFluxConfigType;
  const size_t first = out.flux ? 1 : 0;  // the index
  if (!m.contains("layers") || !m["layers"].is_array() || m["layers"].size() < first + 1) {
    throw not_ours(source, "it has no kix layers");
  }
  const Json& layers = m["layers"];
  if (layers.size() > limits.max_layers) throw damaged(source, "too many layers");
  if (out.flux) {
    ArtifactBlob flux = descriptor_of(layers[0], source, SIZE_MAX);
    if (flux.media_type != kFluxContentType) {
      throw not_ours(source, "its first layer is " + flux.media_type);
    }
  }
  out.index = descriptor_of(layers[first], source, limits.max_index_bytes);
  if (out.index.media_type != kKixIndexType) {
    throw not_ours(source, "layer " + std::to_string(first) + " is " + out.index.media_type +
                               ", not " + kKixIndexType);
  }
  for (size_t i = first + 1; i < layers.size(); ++i) {
    ArtifactBlob pack = descriptor_of(layers[i], source, limits.max_pack_bytes);
    if (pack.media_type != kKixPackType) {
      throw damaged(source,
                    "layer " + std::to_string(i) + " is " + pack.media_type + ", not a kix pack");
    }
    out.packs.push_back(std::move(pack));
  }
  if (m.contains("annotations") && m["annotations"].is_object()) {
    for (const auto& [key, value] : m["annotations"].items()) {
      if (value.is_string()) out.annotations[key] = value.get<std::string>();
    }
  }
  return out;
}

Closure read_artifact(const ArtifactManifest& manifest,
                      const std::function<std::string(const std::string&, size_t)>& fetch,
                      const std::string& source, const ArtifactLimits& limits) {
  Json index = Json::parse(fetch(manifest.index.digest, limits.max_index_bytes), nullptr, false);
  if (index.is_discarded() || !index.is_object()) throw damaged(source, "the index is not JSON");
  if (!index.contains("v") || index["v"] != 1) {
    throw Error(ErrorKind::kInvalidInput,
                source + ": the index has version " +
                    (index.contains("v") ? index["v"].dump() : "?") +
                    ", which this kix does not read",
                {}, "pull it with a newer kix");
  }
  const JsonFields in_index = fields_of(source);
  const Hash pushed = in_index.hash(index, "root");
  History history;
  try {
    history = history_from_json(in_index.member(index, "history"));
  } catch (const Error& e) {
    throw damaged(source, e.message());
  }
  const Json& packs = in_index.member(index, "packs");
  if (!packs.is_array() || packs.size() != manifest.packs.size()) {
    throw damaged(source, "the index and the manifest list different packs");
  }

  std::vector<StoredRoot> roots;
  std::vector<StoredNode> nodes;
  std::vector<StoredRef> refs;
  std::map<Hash, std::string> blobs;
  std::map<Hash, SealedSecret> sealed;
  std::optional<size_t> previous;  // index into roots of the last pack's root
  size_t total = 0;                // decompressed bytes of every pack so far
  TarReadOptions tar;
  tar.compression = TarCompression::kZstd;
  tar.limits = {limits.pack.max_expanded_bytes, limits.pack.max_entries,
                limits.pack.max_entry_bytes};
  for (size_t p = 0; p < packs.size(); ++p) {
    const std::string digest = in_index.text(packs[p], "digest");
    if (digest != manifest.packs[p].digest) {
      throw damaged(source, "the index and the manifest list different packs");
    }
    const std::string what = source + " pack " + digest;
    const JsonFields in_pack = fields_of(what);
    std::vector<TarEntry> entries;
    try {
      entries = read_tar(fetch(digest, limits.max_pack_bytes), tar);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kInvalidInput) throw;
      throw damaged(what, e.message());
    }
    for (const TarEntry& entry : entries) total += entry.path.size() + entry.data.size();
    if (total > limits.max_total_bytes) {
      throw damaged(source, "its packs hold more than " + std::to_string(limits.max_total_bytes) +
                                " bytes, more than kix reads");
    }
    std::optional<Json> pack;
    std::map<Hash, std::string> envelopes;
    for (TarEntry& entry : entries) {
      const std::string& name = entry.path;
      if (name == kPackIndexName && !pack) {
        pack = Json::parse(entry.data, nullptr, false);
        if (pack->is_discarded() || !pack->is_object())
          throw damaged(what, "its index is not JSON");
        continue;
      }
      auto hex_after = [&](const char* prefix) -> std::optional<Hash> {
        if (name.rfind(prefix, 0) != 0) return std::nullopt;
        return Hash::from_hex(std::string_view(name).substr(std::string_view(prefix).size()));
      };
      if (auto h = hex_after(kBlobPrefix)) {
        if (!blobs.emplace(*h, std::move(entry.data)).second) {
          throw damaged(what, "blob " + h->hex() + " is held twice");
        }
      } else if (auto s = hex_after(kSealedPrefix)) {
        if (!envelopes.emplace(*s, std::move(entry.data)).second) {
          throw damaged(what, "two sealed entries for blob " + s->hex());
        }
      } else {
        throw damaged(what, "unexpected entry '" + name + "'");
      }
    }
    if (!pack) throw damaged(what, std::string("no ") + kPackIndexName);
    for (const Json& s : in_pack.list(*pack, "secrets")) {
      Hash b = in_pack.hash(s, "blob");
      auto envelope = envelopes.find(b);
      if (envelope == envelopes.end()) throw damaged(what, "no sealed values for blob " + b.hex());
      sealed[b] = SealedSecret{in_pack.text(s, "keyId"), std::move(envelope->second),
                               in_pack.boolean(s, "legacy")};
      envelopes.erase(envelope);
    }
    if (!envelopes.empty()) {
      throw damaged(what, "sealed values of blob " + envelopes.begin()->first.hex() +
                              " its index does not list");
    }
    for (const Json& n : in_pack.list(*pack, "nodes")) {
      StoredNode node{in_pack.hash(n, "hash"), in_pack.hash(n, "blob"),
                      ResourceId{in_pack.text(n, "apiVersion"), in_pack.text(n, "kind"),
                                 in_pack.text(n, "namespace"), in_pack.text(n, "name")}};
      for (const Json& r : in_pack.list(n, "refs")) {
        refs.push_back(StoredRef{node.hash, in_pack.hash(r, "to"), in_pack.text(r, "reason")});
      }
      nodes.push_back(std::move(node));
    }
    const Json& root = in_pack.member(*pack, "root");
    if (root.is_null()) {
      if (p + 1 != packs.size()) throw damaged(what, "a pack without a root that is not last");
      continue;
    }
    StoredRoot r{in_pack.hash(root, "hash"), in_pack.text(root, "cluster"), {}};
    const Json& base = in_pack.member(root, "base");
    if (base.is_null()) {
      r.nodes = in_pack.hashes(root, "nodes");
    } else {
      if (!previous || in_pack.hash(root, "base") != roots[*previous].hash) {
        throw damaged(what, "its root is a delta against a root that is not the one before it");
      }
      std::vector<Hash> added = in_pack.hashes(root, "added");
      std::vector<Hash> removed = in_pack.hashes(root, "removed");
      std::vector<Hash> kept;
      const std::vector<Hash>& before = roots[*previous].nodes;
      std::set_difference(before.begin(), before.end(), removed.begin(), removed.end(),
                          std::back_inserter(kept));
      std::set_union(kept.begin(), kept.end(), added.begin(), added.end(),
                     std::back_inserter(r.nodes));
    }
    if (in_index.text(packs[p], "root") != r.hash.hex()) {
      throw damaged(source, "the index and pack " + digest + " name different roots");
    }
    roots.push_back(std::move(r));
    previous = roots.size() - 1;
  }
  if (std::none_of(roots.begin(), roots.end(),
                   [&](const StoredRoot& r) { return r.hash == pushed; })) {
    throw damaged(source, "the index names root " + pushed.hex() + ", which no pack holds");
  }
  return Closure::check(std::move(roots), std::move(nodes), std::move(refs), std::move(blobs),
                        std::move(sealed), std::move(history), source);
}

}  // namespace kix
