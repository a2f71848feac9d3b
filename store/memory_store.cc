#include "store/memory_store.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "manifest/cluster_name.h"
#include "store/archive.h"
#include "store/gc.h"
#include "store/verify.h"
#include "util/error.h"

namespace kix {

namespace {

std::string root_cluster_of(const AddOptions& options) {
  if (options.root_cluster) return *options.root_cluster;
  return options.cluster.value_or("");
}

Error not_stored(const std::string& what) {
  return Error(ErrorKind::kNotFound, "no " + what + " in the store");
}

}  // namespace

// --- Writing ------------------------------------------------------------------

AddResult MemoryStore::add(const GraphView& graph, const AddOptions& options) {
  for (const Hash& source : options.sources) {
    if (!sources_.count(source)) {
      throw Error(ErrorKind::kNotFound, "source " + source.hex() + " is not in the store");
    }
  }
  if (options.cluster) check_cluster_name(*options.cluster);
  if (options.root_cluster && !options.root_cluster->empty()) {
    check_cluster_name(*options.root_cluster);
  }
  AddResult result;
  result.root = graph.root(root_cluster_of(options));
  result.resources = graph.size();
  // Every byte that can fail to come back is read before anything changes.
  std::map<Hash, std::string> fresh;
  for (size_t i = 0; i < graph.size(); ++i) {
    const Hash& blob = graph.blob(i);
    if (!blobs_.count(blob) && !fresh.count(blob)) {
      fresh.emplace(blob, canonical_bytes(graph, i, options.blob_source));
    }
  }
  const std::span<const Hash> node_hashes = graph.nodes();
  for (size_t i = 0; i < graph.size(); ++i) {
    const Hash& blob = graph.blob(i);
    result.raw_bytes += graph.canonical_size(i);
    if (const SealedSecret* sealed = graph.sealed(i)) secrets_.emplace(blob, *sealed);
    if (auto f = fresh.find(blob); f != fresh.end() && !blobs_.count(blob)) {
      blobs_.emplace(blob, std::move(f->second));
      ++result.new_blobs;
      result.written_bytes += graph.canonical_size(i);
    } else {
      ++result.reused_blobs;
    }
    if (nodes_.emplace(node_hashes[i], StoredNode{node_hashes[i], blob, graph.id(i).id()}).second) {
      ++result.new_nodes;
    }
    for (size_t k = 0; k < graph.ref_count(i); ++k) {
      const Hash& to = node_hashes[graph.ref(i, k)];
      refs_.emplace(std::pair{node_hashes[i], to}, std::string(graph.ref_reason(i, k)));
      refs_by_dst_.emplace(to, node_hashes[i]);
    }
  }
  std::vector<Hash> nodes(node_hashes.begin(), node_hashes.end());
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  insert_root(StoredRoot{result.root, root_cluster_of(options), std::move(nodes)});
  if (options.cluster) {
    auto& history = generations_[*options.cluster];
    int64_t number = history.empty() ? 1 : history.back().number + 1;
    history.push_back(Generation{*options.cluster, number, result.root, options.time,
                                 options.message, options.source_revision});
    result.generation = number;
  }
  if (options.pin) {
    result.pinned =
        pins_.emplace(result.root, Pin{result.root, ObjectKind::kRoot, options.time}).second;
  }
  for (const Hash& source : options.sources) root_sources_.emplace(result.root, source);
  return result;
}

std::optional<std::string> MemoryStore::find_source(const Hash& sha256) {
  auto it = sources_.find(sha256);
  if (it == sources_.end()) return std::nullopt;
  return it->second;
}

Hash MemoryStore::keep_source(std::string_view bytes, const std::string&, const std::string&) {
  Hash hash = Hash::of(bytes);
  sources_.emplace(hash, std::string(bytes));
  return hash;
}

void MemoryStore::insert_root(const StoredRoot& root) {
  roots_.emplace(root.hash, root);
}

Generation MemoryStore::append_generation(const GenerationRequest& request) {
  check_cluster_name(request.cluster);
  if (!roots_.count(request.root)) throw not_stored("root " + request.root.hex());
  auto& history = generations_[request.cluster];
  int64_t number = history.empty() ? 1 : history.back().number + 1;
  history.push_back(Generation{request.cluster, number, request.root, request.time, request.message,
                               request.source_revision});
  return history.back();
}

Deployment MemoryStore::record_deployment(const std::string& cluster, const Hash& root,
                                          int64_t time, const std::string& context,
                                          std::optional<Deployment::Partial> partial) {
  check_cluster_name(cluster);
  if (!roots_.count(root)) throw not_stored("root " + root.hex());
  Deployment d{cluster, root, time, context, {}, partial};
  if (auto it = generations_.find(cluster); it != generations_.end()) {
    for (const Generation& g : it->second) {
      if (g.root == root) d.generation = g.number;
    }
  }
  deployments_[cluster].push_back(d);
  return d;
}

bool MemoryStore::pin(const Hash& hash, ObjectKind kind, int64_t time) {
  bool exists = kind == ObjectKind::kRoot ? roots_.count(hash) > 0 : nodes_.count(hash) > 0;
  if (!exists) throw not_stored(std::string(object_kind_name(kind)) + " " + hash.hex());
  return pins_.emplace(hash, Pin{hash, kind, time}).second;
}

bool MemoryStore::unpin(const Hash& hash) {
  return pins_.erase(hash) == 1;
}

ImportResult MemoryStore::import_closure(const Closure& closure, const ImportOptions& options) {
  // Decided before anything changes: a conflict leaves the store as it was.
  HistoryMerge merge = plan_history_merge(
      *this, options.history_as ? rename_history(closure.history(), *options.history_as)
                                : closure.history());
  ImportResult result;
  for (const auto& [hash, sealed] : closure.sealed()) secrets_.emplace(hash, sealed);
  for (const auto& [hash, canonical] : closure.blobs()) {
    if (blobs_.emplace(hash, canonical).second) {
      ++result.new_blobs;
    } else {
      ++result.reused_blobs;
    }
  }
  for (const StoredNode& n : closure.nodes()) result.nodes += nodes_.emplace(n.hash, n).second;
  for (const StoredRef& r : closure.refs()) {
    refs_.emplace(std::pair{r.from, r.to}, r.reason);
    refs_by_dst_.emplace(r.to, r.from);
  }
  for (const StoredRoot& r : closure.roots()) {
    result.roots += roots_.emplace(r.hash, r).second;
    if (options.pin) pins_.emplace(r.hash, Pin{r.hash, ObjectKind::kRoot, options.time});
  }
  for (const Generation& g : merge.generations) {
    auto& history = generations_[g.cluster];
    history.insert(std::upper_bound(history.begin(), history.end(), g,
                                    [](const Generation& a, const Generation& b) {
                                      return a.number < b.number;
                                    }),
                   g);
  }
  for (const Deployment& d : merge.deployments) {
    auto& records = deployments_[d.cluster];
    records.insert(
        std::upper_bound(records.begin(), records.end(), d,
                         [](const Deployment& a, const Deployment& b) { return a.time < b.time; }),
        d);
  }
  for (const Pin& p : merge.pins) pins_.emplace(p.hash, p);
  result.generations = merge.generations.size();
  result.deployments = merge.deployments.size();
  result.pins = merge.pins.size();
  return result;
}

// --- Reading ------------------------------------------------------------------

std::unique_ptr<ReadSnapshot> MemoryStore::snapshot() {
  return std::make_unique<ReadSnapshot>();
}

std::optional<StoredRoot> MemoryStore::find_root(const Hash& hash) {
  auto it = roots_.find(hash);
  if (it == roots_.end()) return std::nullopt;
  return it->second;
}

std::optional<StoredNode> MemoryStore::find_node(const Hash& hash) {
  auto it = nodes_.find(hash);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<StoredNode> MemoryStore::load_nodes(const std::vector<Hash>& hashes) {
  std::vector<StoredNode> out;
  out.reserve(hashes.size());
  for (const Hash& h : hashes) {
    auto it = nodes_.find(h);
    if (it == nodes_.end()) {
      throw Error(ErrorKind::kCorruption, "node " + h.hex() + " is listed but not stored", {},
                  "run `kix store verify` to see what it affects");
    }
    out.push_back(it->second);
  }
  return out;
}

std::vector<StoredRef> MemoryStore::refs_from(const Hash& node) {
  std::vector<StoredRef> out;
  for (auto it = refs_.lower_bound({node, Hash()}); it != refs_.end() && it->first.first == node;
       ++it) {
    out.push_back(StoredRef{node, it->first.second, it->second});
  }
  return out;
}

std::vector<StoredRef> MemoryStore::refs_to(const Hash& node) {
  std::vector<StoredRef> out;
  for (auto it = refs_by_dst_.lower_bound({node, Hash()});
       it != refs_by_dst_.end() && it->first == node; ++it) {
    out.push_back(StoredRef{it->second, node, refs_.at({it->second, node})});
  }
  return out;
}

std::vector<Hash> MemoryStore::closure(const std::vector<Hash>& start) {
  std::unordered_set<Hash, HashHasher> seen(start.begin(), start.end());
  std::vector<Hash> queue(seen.begin(), seen.end());
  while (!queue.empty()) {
    Hash h = queue.back();
    queue.pop_back();
    for (const StoredRef& r : refs_from(h)) {
      if (seen.insert(r.to).second) queue.push_back(r.to);
    }
  }
  std::vector<Hash> out(seen.begin(), seen.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool MemoryStore::has_blob(const Hash& blob) {
  return blobs_.count(blob) > 0;
}

std::string MemoryStore::read_blob(const Hash& blob) {
  auto it = blobs_.find(blob);
  if (it == blobs_.end()) {
    throw Error(ErrorKind::kNotFound, "blob " + blob.hex() + " is not in the store", {},
                "run `kix store verify` to see what it affects");
  }
  if (Hash::of(it->second) != blob && !sealed_secret(blob).value_or(SealedSecret{}).legacy) {
    throw Error(
        ErrorKind::kCorruption,
        "blob " + blob.hex() + " is corrupt: its content hashes to " + Hash::of(it->second).hex(),
        {}, "run `kix store verify` to see what it affects");
  }
  return it->second;
}

std::optional<SealedSecret> MemoryStore::sealed_secret(const Hash& blob) {
  auto it = secrets_.find(blob);
  if (it == secrets_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<Hash, ObjectKind>> MemoryStore::find_by_prefix(std::string_view hex_prefix,
                                                                     size_t limit) {
  std::vector<std::pair<Hash, ObjectKind>> out;
  auto range = hash_prefix_range(hex_prefix);
  if (!range) return out;
  const auto& [low, high] = *range;
  for (auto it = roots_.lower_bound(low); it != roots_.end() && it->first <= high; ++it) {
    if (out.size() == limit) return out;
    out.emplace_back(it->first, ObjectKind::kRoot);
  }
  for (auto it = nodes_.lower_bound(low); it != nodes_.end() && it->first <= high; ++it) {
    if (out.size() == limit) return out;
    out.emplace_back(it->first, ObjectKind::kNode);
  }
  return out;
}

std::vector<std::string> MemoryStore::clusters() {
  std::vector<std::string> out;
  for (const auto& [name, history] : generations_) {
    if (!history.empty()) out.push_back(name);
  }
  return out;
}

std::vector<Generation> MemoryStore::generations(const std::string& cluster) {
  auto it = generations_.find(cluster);
  return it == generations_.end() ? std::vector<Generation>{} : it->second;
}

std::optional<Generation> MemoryStore::generation(const std::string& cluster, int64_t number) {
  for (const Generation& g : generations(cluster)) {
    if (g.number == number) return g;
  }
  return std::nullopt;
}

std::optional<Generation> MemoryStore::current_generation(const std::string& cluster) {
  auto it = generations_.find(cluster);
  if (it == generations_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<Generation> MemoryStore::generations_of_root(const Hash& root) {
  std::vector<Generation> out;
  for (const auto& [name, history] : generations_) {
    for (const Generation& g : history) {
      if (g.root == root) out.push_back(g);
    }
  }
  return out;
}

std::optional<Deployment> MemoryStore::last_deployment(const std::string& cluster) {
  auto it = deployments_.find(cluster);
  if (it == deployments_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<Deployment> MemoryStore::deployments(const std::string& cluster) {
  auto it = deployments_.find(cluster);
  return it == deployments_.end() ? std::vector<Deployment>{} : it->second;
}

std::vector<Pin> MemoryStore::pins() {
  std::vector<Pin> out;
  for (const auto& [hash, pin] : pins_) out.push_back(pin);
  return out;
}

// --- Maintenance --------------------------------------------------------------

GcResult MemoryStore::collect_garbage(const GcOptions& options) {
  GcSnapshot s;
  for (const auto& [name, history] : generations_) {
    s.generations.insert(s.generations.end(), history.begin(), history.end());
  }
  s.pins = pins();
  for (const auto& [name, records] : deployments_) {
    if (!records.empty()) s.deployed_roots.push_back(records.back().root);
  }
  for (const auto& [hash, root] : roots_) s.roots.push_back(hash);
  s.root_nodes = [this](const Hash& h) { return roots_.at(h).nodes; };
  std::unordered_map<Hash, uint32_t, HashHasher> positions;
  for (const auto& [hash, node] : nodes_) {
    positions.emplace(hash, static_cast<uint32_t>(s.nodes.size()));
    s.nodes.push_back(hash);
    s.node_blobs.push_back(node.blob);
  }
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (const auto& [edge, reason] : refs_) {
    auto src = positions.find(edge.first);
    auto dst = positions.find(edge.second);
    if (src == positions.end()) continue;  // belongs to nothing
    if (dst == positions.end()) {
      s.dangling_refs.emplace_back(src->second, -1);  // this store numbers no nodes
    } else {
      edges.emplace_back(src->second, dst->second);
    }
  }
  s.set_refs(std::move(edges));
  for (const auto& [hash, bytes] : blobs_) {
    s.blobs.push_back(hash);
    s.blob_sizes.push_back(GcSnapshot::BlobSize{bytes.size(), bytes.size()});
  }
  for (const auto& [hash, bytes] : sources_) s.sources.emplace(hash, bytes.size());
  for (const auto& [root, source] : root_sources_) s.root_sources[root].push_back(source);
  GcPlan plan = plan_gc(s, options);
  if (options.dry_run) return plan.result;
  for (const Hash& source : plan.dead_sources) sources_.erase(source);
  for (auto it = root_sources_.begin(); it != root_sources_.end();) {
    it = std::binary_search(plan.dead_roots.begin(), plan.dead_roots.end(), it->first)
             ? root_sources_.erase(it)
             : std::next(it);
  }

  for (const Generation& g : plan.expired_generations) {
    auto& history = generations_[g.cluster];
    history.erase(std::remove_if(history.begin(), history.end(),
                                 [&](const Generation& x) { return x.number == g.number; }),
                  history.end());
  }
  for (const Hash& r : plan.dead_roots) {
    roots_.erase(r);
    for (auto& [name, records] : deployments_) {
      records.erase(std::remove_if(records.begin(), records.end(),
                                   [&](const Deployment& d) { return d.root == r; }),
                    records.end());
    }
  }
  for (const Hash& n : plan.dead_nodes) {
    for (const StoredRef& r : refs_from(n)) {
      refs_by_dst_.erase({r.to, r.from});
      refs_.erase({r.from, r.to});
    }
    nodes_.erase(n);
  }
  for (const Hash& b : plan.dead_blobs) {
    blobs_.erase(b);
    secrets_.erase(b);
  }
  return plan.result;
}

VerifyReport MemoryStore::verify(const VerifyOptions& options) {
  VerifyContents c;
  for (const auto& [hash, node] : nodes_) c.nodes.push_back(node);
  for (const auto& [edge, reason] : refs_) c.refs[edge.first].push_back(edge.second);
  for (const auto& [hash, root] : roots_) c.roots.push_back(root);
  for (const auto& [name, history] : generations_) {
    c.generations.insert(c.generations.end(), history.begin(), history.end());
  }
  c.pins = pins();
  for (const auto& [name, records] : deployments_) {
    c.deployments.insert(c.deployments.end(), records.begin(), records.end());
  }
  for (const auto& [hash, bytes] : blobs_) {
    auto sealed = secrets_.find(hash);
    c.blobs.emplace(
        hash, check_blob_bytes(hash, bytes, sealed == secrets_.end() ? nullptr : &sealed->second,
                               options.keys));
  }

  for (const auto& [hash, bytes] : sources_) c.sources.emplace_back(hash, Hash::of(bytes) == hash);
  VerifyReport report = check_store_contents(c, options);
  if (!options.repair) return report;
  for (VerifyProblem& p : report.problems) {
    if (!p.fix) continue;
    const Repair& fix = *p.fix;
    switch (fix.action) {
      case Repair::Action::kRebuildIndexes:
        break;  // no indexes here
      case Repair::Action::kRestoreBlob:
        blobs_[fix.hash] = fix.canonical;
        if (fix.sealed) secrets_[fix.hash] = *fix.sealed;
        break;
      case Repair::Action::kDeleteBlob:
        blobs_.erase(fix.hash);
        secrets_.erase(fix.hash);
        break;
      case Repair::Action::kRewriteIdentity:
        nodes_.at(fix.hash).id = fix.identity;
        break;
      case Repair::Action::kDeleteNode:
        for (const StoredRef& r : refs_from(fix.hash)) {
          refs_by_dst_.erase({r.to, r.from});
          refs_.erase({r.from, r.to});
        }
        nodes_.erase(fix.hash);
        break;
      case Repair::Action::kDeleteRoot:
        roots_.erase(fix.hash);
        break;
      case Repair::Action::kDeletePin:
        pins_.erase(fix.hash);
        break;
      case Repair::Action::kDeleteSource:
        sources_.erase(fix.hash);
        for (auto it = root_sources_.begin(); it != root_sources_.end();) {
          it = it->second == fix.hash ? root_sources_.erase(it) : std::next(it);
        }
        break;
      case Repair::Action::kDeleteDeployments:
        for (auto& [name, records] : deployments_) {
          records.erase(std::remove_if(records.begin(), records.end(),
                                       [&](const Deployment& d) { return d.root == fix.hash; }),
                        records.end());
        }
        break;
    }
    p.repaired = true;
    p.repair = fix.description;
  }
  return report;
}

}  // namespace kix
