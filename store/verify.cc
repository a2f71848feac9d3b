#include "store/verify.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "manifest/merkle.h"
#include "util/error.h"

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

// The whole index, loaded once: verify is one pass over each table plus
// in-memory lookups, never one query per object.
struct Index {
  std::unordered_map<Hash, StoredNode, HashHasher> nodes;
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> refs;
  std::vector<StoredRoot> roots;
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> roots_of_node;
  std::unordered_map<Hash, std::vector<std::string>, HashHasher> generations_of_root;
  std::vector<Generation> generations;
  std::vector<Pin> pins;
  HashSet referenced_nodes;  // by a ref edge
  // Roots whose node list cannot be decoded, with why.
  std::vector<std::pair<Hash, std::string>> undecodable_roots;
};

// Blob hash -> identity of its manifest, for the blobs that are sound.
using BlobIdentities = std::unordered_map<Hash, ResourceId, HashHasher>;

Index load_index(Store& store) {
  sqlite::Database& db = store.database();
  Index index;
  auto nodes = db.prepare("SELECT hash, blob, api_version, kind, namespace, name FROM nodes");
  while (nodes.step()) {
    StoredNode n{nodes.column_hash(0), nodes.column_hash(1),
                 ResourceId{nodes.column_text(2), nodes.column_text(3), nodes.column_text(4),
                            nodes.column_text(5)}};
    index.nodes.emplace(n.hash, std::move(n));
  }
  auto refs = db.prepare("SELECT src, dst FROM refs");
  while (refs.step()) {
    Hash to = refs.column_hash(1);
    index.refs[refs.column_hash(0)].push_back(to);
    index.referenced_nodes.insert(to);
  }
  auto roots = db.prepare("SELECT hash FROM roots");
  std::vector<Hash> root_hashes;
  while (roots.step()) root_hashes.push_back(roots.column_hash(0));
  for (const Hash& h : root_hashes) {
    // Decodes node lists stored as deltas; a damaged delta or a missing
    // base is a bad root.
    try {
      StoredRoot r = *store.find_root(h);
      for (const Hash& n : r.nodes) index.roots_of_node[n].push_back(r.hash);
      index.roots.push_back(std::move(r));
    } catch (const Error& e) {
      index.undecodable_roots.emplace_back(h, e.message());
    }
  }
  auto gens = db.prepare("SELECT cluster, number, root FROM generations ORDER BY cluster, number");
  while (gens.step()) {
    Generation g{gens.column_text(0), gens.column_int(1), gens.column_hash(2), 0, {}, {}};
    index.generations_of_root[g.root].push_back(g.cluster + "@" + std::to_string(g.number));
    index.generations.push_back(std::move(g));
  }
  index.pins = store.pins();
  return index;
}

std::string describe_root(const Index& index, const Hash& root) {
  std::string s = "root " + root.hex();
  if (auto it = index.generations_of_root.find(root); it != index.generations_of_root.end()) {
    std::string names;
    for (auto& n : it->second) names += (names.empty() ? "" : ", ") + n;
    s += " (" + names + ")";
  }
  return s;
}

std::string describe_node(const StoredNode& n) {
  return n.id.display() + " (node " + n.hash.hex() + ")";
}

// Resources and roots whose hashes cover any of `nodes`.
std::vector<std::string> affected_by(const Index& index, const std::vector<Hash>& nodes) {
  std::vector<std::string> out;
  std::vector<Hash> roots;
  for (const Hash& h : nodes) {
    if (auto it = index.nodes.find(h); it != index.nodes.end())
      out.push_back(describe_node(it->second));
    if (auto it = index.roots_of_node.find(h); it != index.roots_of_node.end()) {
      roots.insert(roots.end(), it->second.begin(), it->second.end());
    }
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  for (const Hash& r : roots) out.push_back(describe_root(index, r));
  return out;
}

// Reads the identity a manifest declares, as make_manifest does.
ResourceId identity_of(const Json& m) {
  ResourceId id;
  auto str = [](const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  id.api_version = str(m, "apiVersion");
  id.kind = str(m, "kind");
  if (auto md = m.find("metadata"); md != m.end() && md->is_object()) {
    id.ns = str(*md, "namespace");
    id.name = str(*md, "name");
  }
  return id;
}

class Verifier {
 public:
  Verifier(Store& store, const VerifyOptions& options)
      : store_(store), db_(store.database()), options_(options) {}

  VerifyReport run() {
    index_ = load_index(store_);
    report_.nodes = index_.nodes.size();
    report_.roots = index_.roots.size();
    report_.generations = index_.generations.size();
    report_.pins = index_.pins.size();
    check_blobs();
    check_nodes();
    check_roots();
    check_generations_and_pins();
    return std::move(report_);
  }

 private:
  void check_blobs() {
    auto s = db_.prepare("SELECT hash, raw_size, data, dict FROM blobs");
    while (s.step()) {
      ++report_.blobs;
      Hash h = s.column_hash(0);
      stored_blobs_.insert(h);
      std::string why;
      try {
        std::string raw = store_.decompress_blob(
            h, s.column_blob(2), static_cast<size_t>(s.column_int(1)), s.column_int(3));
        Hash actual = Hash::of(raw);
        if (actual == h) {
          identities_.emplace(h, identity_of(Json::parse(raw)));
          continue;
        }
        why = "its content hashes to " + actual.hex();
      } catch (const Error& e) {
        why = e.message();
      } catch (const Json::exception&) {
        why = "its content is not JSON";
      }
      bad_blobs_.emplace(h, why);
    }
  }

  void check_nodes() {
    std::unordered_map<Hash, std::vector<Hash>, HashHasher> users_of_bad_blob;
    for (const auto& [hash, node] : index_.nodes) {
      auto refs_it = index_.refs.find(hash);
      std::vector<Hash> refs = refs_it == index_.refs.end() ? std::vector<Hash>{} : refs_it->second;
      for (const Hash& to : refs) {
        if (!index_.nodes.count(to)) {
          add({ProblemKind::kMissingNode, "node " + to.hex(),
               "referenced by " + describe_node(node) + " but not stored",
               affected_by(index_, {hash})});
        }
      }
      if (!stored_blobs_.count(node.blob) || bad_blobs_.count(node.blob)) {
        users_of_bad_blob[node.blob].push_back(hash);
      } else if (identities_.at(node.blob) != node.id) {
        VerifyProblem p{ProblemKind::kWrongIdentity,
                        "node " + hash.hex(),
                        "its identity columns say " + node.id.display() + " but its manifest is " +
                            identities_.at(node.blob).display(),
                        {}};
        if (options_.repair) repair_identity(p, hash, identities_.at(node.blob));
        add(std::move(p));
      }
      if (node_hash(node.blob, refs) != hash) {
        VerifyProblem p{ProblemKind::kBadNode, "node " + hash.hex(),
                        node.id.display() + ": the hash of its blob and refs is " +
                            node_hash(node.blob, refs).hex(),
                        affected_by(index_, {hash})};
        if (options_.repair && !reachable_node(hash)) drop_node(p, hash);
        add(std::move(p));
      }
    }
    for (const auto& [blob, why] : bad_blobs_) {
      auto users = users_of_bad_blob[blob];
      std::sort(users.begin(), users.end());
      VerifyProblem p{ProblemKind::kCorruptBlob, "blob " + blob.hex(), "corrupt: " + why,
                      affected_by(index_, users)};
      if (options_.repair) repair_blob(p, blob, users.empty());
      add(std::move(p));
    }
    for (auto& [blob, users] : users_of_bad_blob) {
      if (stored_blobs_.count(blob)) continue;
      std::sort(users.begin(), users.end());
      VerifyProblem p{ProblemKind::kMissingBlob, "blob " + blob.hex(), "missing",
                      affected_by(index_, users)};
      if (options_.repair) repair_blob(p, blob, false);
      add(std::move(p));
    }
  }

  void check_roots() {
    for (const auto& [hash, why] : index_.undecodable_roots) {
      add({ProblemKind::kBadRoot, "root " + hash.hex(), why, {describe_root(index_, hash)}});
    }
    for (const StoredRoot& root : index_.roots) {
      for (const Hash& n : root.nodes) {
        if (!index_.nodes.count(n)) {
          add({ProblemKind::kMissingNode,
               "node " + n.hex(),
               "listed by a root but not stored",
               {describe_root(index_, root.hash)}});
        }
      }
      Hash actual = root_hash(root.cluster, root.nodes);
      if (actual != root.hash || !std::is_sorted(root.nodes.begin(), root.nodes.end())) {
        VerifyProblem p{ProblemKind::kBadRoot,
                        "root " + root.hash.hex(),
                        "its cluster name and node list hash to " + actual.hex(),
                        {describe_root(index_, root.hash)}};
        if (options_.repair && !index_.generations_of_root.count(root.hash) && !pinned(root.hash)) {
          store_.store_roots_in_full({root.hash});
          auto s = db_.prepare("DELETE FROM roots WHERE hash = ?");
          s.bind(1, root.hash);
          s.run();
          p.repaired = true;
          p.repair = "deleted the root (no generation or pin refers to it)";
        }
        add(std::move(p));
      }
    }
  }

  void check_generations_and_pins() {
    HashSet roots;
    for (const auto& r : index_.roots) roots.insert(r.hash);
    for (const auto& g : index_.generations) {
      if (!roots.count(g.root)) {
        add({ProblemKind::kMissingRoot,
             "generation " + g.cluster + "@" + std::to_string(g.number),
             "points at root " + g.root.hex() + ", which is not stored",
             {}});
      }
    }
    for (const auto& pin : index_.pins) {
      bool exists = pin.kind == ObjectKind::kRoot ? roots.count(pin.hash) > 0
                                                  : index_.nodes.count(pin.hash) > 0;
      if (exists) continue;
      VerifyProblem p{ProblemKind::kMissingRoot,
                      "pin " + pin.hash.hex(),
                      "pins a " + std::string(object_kind_name(pin.kind)) + " that is not stored",
                      {}};
      if (options_.repair) {
        auto s = db_.prepare("DELETE FROM pins WHERE hash = ?");
        s.bind(1, pin.hash);
        s.run();
        p.repaired = true;
        p.repair = "removed the pin";
      }
      add(std::move(p));
    }
  }

  // --- repairs ---

  void repair_blob(VerifyProblem& p, const Hash& blob, bool unused) {
    if (options_.sources != nullptr) {
      for (const Manifest& m : *options_.sources) {
        if (m.blob != blob) continue;
        auto s =
            db_.prepare("INSERT OR REPLACE INTO blobs (hash, raw_size, data) VALUES (?, ?, ?)");
        s.bind(1, blob)
            .bind(2, static_cast<int64_t>(m.canonical.size()))
            .bind_blob(3, store_.codec().compress(m.canonical));
        s.run();
        p.repaired = true;
        p.repair = "restored from " + m.location.str();
        return;
      }
    }
    if (unused) {
      auto s = db_.prepare("DELETE FROM blobs WHERE hash = ?");
      s.bind(1, blob);
      s.run();
      p.repaired = true;
      p.repair = "deleted the blob (no node uses it)";
    } else {
      p.repair = "not repaired: pass the original manifests with --repair --from PATH";
    }
  }

  void repair_identity(VerifyProblem& p, const Hash& node, const ResourceId& id) {
    auto s = db_.prepare(
        "UPDATE nodes SET api_version = ?, kind = ?, namespace = ?, name = ? WHERE hash = ?");
    s.bind(1, id.api_version).bind(2, id.kind).bind(3, id.ns).bind(4, id.name).bind(5, node);
    s.run();
    p.repaired = true;
    p.repair = "rebuilt the identity columns from the manifest";
  }

  void drop_node(VerifyProblem& p, const Hash& node) {
    for (const char* sql : {"DELETE FROM refs WHERE src = ?", "DELETE FROM nodes WHERE hash = ?"}) {
      auto s = db_.prepare(sql);
      s.bind(1, node);
      s.run();
    }
    p.repaired = true;
    p.repair = "deleted the node (no root, pin or reference keeps it)";
  }

  bool pinned(const Hash& h) const {
    return std::any_of(index_.pins.begin(), index_.pins.end(),
                       [&](const Pin& pin) { return pin.hash == h; });
  }
  bool reachable_node(const Hash& h) const {
    return index_.roots_of_node.count(h) || index_.referenced_nodes.count(h) || pinned(h);
  }

  void add(VerifyProblem p) { report_.problems.push_back(std::move(p)); }

  Store& store_;
  sqlite::Database& db_;
  const VerifyOptions& options_;
  Index index_;
  VerifyReport report_;
  HashSet stored_blobs_;
  std::unordered_map<Hash, std::string, HashHasher> bad_blobs_;
  BlobIdentities identities_;
};

}  // namespace

bool VerifyReport::ok() const {
  return std::all_of(problems.begin(), problems.end(),
                     [](const VerifyProblem& p) { return p.repaired; });
}

VerifyReport verify_store(Store& store, const VerifyOptions& options) {
  // A snapshot for a check, the write lock for a repair: either way the
  // tables are read in one consistent state.
  sqlite::Transaction t(store.database(), options.repair ? sqlite::Transaction::Mode::kWrite
                                                         : sqlite::Transaction::Mode::kRead);
  VerifyReport report = Verifier(store, options).run();
  std::stable_sort(
      report.problems.begin(), report.problems.end(),
      [](const VerifyProblem& a, const VerifyProblem& b) { return a.object < b.object; });
  if (options.repair) t.commit();
  return report;
}

}  // namespace kix
