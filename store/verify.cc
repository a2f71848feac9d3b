#include "store/verify.h"

#include "manifest/canonical_scan.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "manifest/merkle.h"
#include "manifest/secrets.h"
#include "util/error.h"
#include "util/parallel_for.h"

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

std::string describe_node(const StoredNode& n) {
  return n.id.display() + " (node " + n.hash.hex() + ")";
}

class Checker {
 public:
  Checker(const VerifyContents& c, const VerifyOptions& options) : c_(c), options_(options) {
    for (const StoredNode& n : c_.nodes) nodes_.emplace(n.hash, &n);
    for (const auto& [src, dsts] : c_.refs) referenced_.insert(dsts.begin(), dsts.end());
    for (const StoredRoot& r : c_.roots) {
      stored_roots_.insert(r.hash);
    }
    for (const auto& [r, why] : c_.undecodable_roots) stored_roots_.insert(r);
    for (const Generation& g : c_.generations) {
      generations_of_root_[g.root].push_back(g.cluster + "@" + std::to_string(g.number));
    }
    for (const Pin& p : c_.pins) pinned_.insert(p.hash);
  }

  VerifyReport run() {
    report_.blobs = c_.blobs.size();
    report_.nodes = c_.nodes.size();
    report_.roots = c_.roots.size() + c_.undecodable_roots.size();
    report_.generations = c_.generations.size();
    for (const auto& [hash, state] : c_.blobs) {
      report_.secrets += state.secret;
      report_.secrets_unopened += state.unopened;
    }
    report_.pins = c_.pins.size();
    report_.deployments = c_.deployments.size();
    report_.sources = c_.sources.size();
    for (const auto& [hash, sound] : c_.sources) {
      if (sound) continue;
      VerifyProblem p{ProblemKind::kCorruptSource, "source " + hash.hex(),
                      "its bytes do not hash to its name"};
      p.fix = Repair{Repair::Action::kDeleteSource,
                     hash,
                     {},
                     {},
                     "removed it; the next build that needs it fetches it again"};
      add(std::move(p));
    }
    check_database();
    check_nodes_and_blobs();
    check_roots();
    check_generations_pins_and_deployments();
    std::stable_sort(
        report_.problems.begin(), report_.problems.end(),
        [](const VerifyProblem& a, const VerifyProblem& b) { return a.object < b.object; });
    return std::move(report_);
  }

 private:
  std::string describe_root(const Hash& root) const {
    std::string s = "root " + root.hex();
    if (auto it = generations_of_root_.find(root); it != generations_of_root_.end()) {
      std::string names;
      for (const auto& n : it->second) names += (names.empty() ? "" : ", ") + n;
      s += " (" + names + ")";
    }
    return s;
  }

  // Resources and roots whose hashes cover any of `nodes`.
  std::vector<std::string> affected_by(const std::vector<Hash>& nodes) const {
    std::vector<std::string> out;
    std::vector<Hash> roots;
    for (const Hash& h : nodes) {
      if (auto it = nodes_.find(h); it != nodes_.end()) out.push_back(describe_node(*it->second));
      if (auto it = roots_of_node().find(h); it != roots_of_node().end()) {
        roots.insert(roots.end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    for (const Hash& r : roots) out.push_back(describe_root(r));
    return out;
  }

  bool reachable_node(const Hash& h) const {
    return roots_of_node().count(h) || referenced_.count(h) || pinned_.count(h);
  }

  // The roots listing each node: only problems need it, and building it
  // for a sound store (a map entry per node of every root) took longer
  // than checking the roots.
  const std::unordered_map<Hash, std::vector<Hash>, HashHasher>& roots_of_node() const {
    if (!roots_of_node_) {
      roots_of_node_.emplace();
      for (const StoredRoot& r : c_.roots) {
        for (const Hash& n : r.nodes) (*roots_of_node_)[n].push_back(r.hash);
      }
    }
    return *roots_of_node_;
  }

  void check_database() {
    if (c_.database_problems.empty()) return;
    std::string detail;
    for (size_t i = 0; i < c_.database_problems.size() && i < 5; ++i) {
      detail += (i ? "; " : "") + c_.database_problems[i];
    }
    if (c_.database_problems.size() > 5) {
      detail += "; and " + std::to_string(c_.database_problems.size() - 5) + " more";
    }
    VerifyProblem p{ProblemKind::kDatabase, "database", "fails its consistency check: " + detail};
    if (c_.only_indexes_damaged) {
      p.fix = Repair{
          Repair::Action::kRebuildIndexes, {}, {}, {}, "rebuilt the indexes from the tables"};
    } else {
      p.repair =
          "not repaired: a table is damaged; restore the store from a backup, or export what "
          "still reads (`kix store export`) into a new store";
    }
    add(std::move(p));
  }

  void check_nodes_and_blobs() {
    static const std::vector<Hash> kNoRefs;
    auto refs_of = [this](const StoredNode& node) -> const std::vector<Hash>& {
      auto it = c_.refs.find(node.hash);
      return it != c_.refs.end() ? it->second : kNoRefs;
    };
    // Every node's hash recomputed on every core first; the checks below
    // are in order, so problems come out as a serial check gives them.
    std::vector<Hash> actual_hashes(c_.nodes.size());
    parallel_for(c_.nodes.size(), default_parallelism(), [&](size_t i) {
      actual_hashes[i] = node_hash(c_.nodes[i].blob, refs_of(c_.nodes[i]));
    });
    std::unordered_map<Hash, std::vector<Hash>, HashHasher> users_of_bad_blob;
    HashSet used_blobs;
    for (size_t i = 0; i < c_.nodes.size(); ++i) {
      const StoredNode& node = c_.nodes[i];
      used_blobs.insert(node.blob);
      const std::vector<Hash>& refs = refs_of(node);
      for (const Hash& to : refs) {
        if (!nodes_.count(to)) {
          add({ProblemKind::kMissingNode, "node " + to.hex(),
               "referenced by " + describe_node(node) + " but not stored",
               affected_by({node.hash})});
        }
      }
      auto blob = c_.blobs.find(node.blob);
      if (blob == c_.blobs.end() || !blob->second.ok) {
        users_of_bad_blob[node.blob].push_back(node.hash);
      } else if (blob->second.identity != node.id) {
        VerifyProblem p{ProblemKind::kWrongIdentity, "node " + node.hash.hex(),
                        "its identity columns say " + node.id.display() + " but its manifest is " +
                            blob->second.identity.display()};
        p.fix = Repair{Repair::Action::kRewriteIdentity,
                       node.hash,
                       blob->second.identity,
                       {},
                       "rebuilt the identity columns from the manifest"};
        add(std::move(p));
      }
      const Hash& actual = actual_hashes[i];
      if (actual != node.hash) {
        VerifyProblem p{ProblemKind::kBadNode, "node " + node.hash.hex(),
                        node.id.display() + ": the hash of its blob and refs is " + actual.hex(),
                        affected_by({node.hash})};
        if (!reachable_node(node.hash)) {
          p.fix = Repair{Repair::Action::kDeleteNode,
                         node.hash,
                         {},
                         {},
                         "deleted the node (no root, pin or reference keeps it)"};
        } else {
          p.repair = "not repaired: roots or pins still need it";
        }
        add(std::move(p));
      }
    }
    for (const auto& [src, number] : c_.dangling_refs) {
      auto node = nodes_.find(src);
      VerifyProblem p{ProblemKind::kMissingNode, "node number " + std::to_string(number),
                      "referenced by " +
                          (node != nodes_.end() ? describe_node(*node->second) : src.hex()) +
                          " but not stored (its hash is lost with it)",
                      affected_by({src})};
      p.repair =
          "not repaired: the referencing node fails its hash check too and goes with it when "
          "nothing keeps it; otherwise restore the store from a backup, or export what still "
          "reads (`kix store export`) into a new store";
      add(std::move(p));
    }
    for (const auto& [blob, state] : c_.blobs) {
      if (state.ok) continue;
      std::vector<Hash> users = users_of_bad_blob[blob];
      std::sort(users.begin(), users.end());
      VerifyProblem p{ProblemKind::kCorruptBlob, "blob " + blob.hex(), "corrupt: " + state.problem,
                      affected_by(users)};
      plan_blob_repair(p, blob, !used_blobs.count(blob));
      add(std::move(p));
    }
    for (auto& [blob, users] : users_of_bad_blob) {
      if (c_.blobs.count(blob)) continue;
      std::sort(users.begin(), users.end());
      VerifyProblem p{ProblemKind::kMissingBlob, "blob " + blob.hex(), "missing",
                      affected_by(users)};
      plan_blob_repair(p, blob, false);
      add(std::move(p));
    }
  }

  void plan_blob_repair(VerifyProblem& p, const Hash& blob, bool unused) {
    if (options_.sources != nullptr) {
      for (const Manifest& m : *options_.sources) {
        if (m.blob != blob) continue;
        p.fix = Repair{Repair::Action::kRestoreBlob,        blob,    {}, m.canonical,
                       "restored from " + m.location.str(), m.sealed};
        return;
      }
    }
    if (unused) {
      p.fix =
          Repair{Repair::Action::kDeleteBlob, blob, {}, {}, "deleted the blob (no node uses it)"};
    } else {
      p.repair = "not repaired: pass the original manifests with --repair --from PATH";
    }
  }

  void check_roots() {
    for (const auto& [hash, why] : c_.undecodable_roots) {
      VerifyProblem p{ProblemKind::kBadRoot, "root " + hash.hex(), why, {describe_root(hash)}};
      plan_root_repair(p, hash);
      add(std::move(p));
    }
    // Each root's membership and hash on every core, then the problems in
    // order.
    struct RootCheck {
      std::vector<Hash> missing;  // listed, not stored
      bool sorted = false;        // as stored root lists must be
      Hash actual;
    };
    std::vector<RootCheck> checks(c_.roots.size());
    std::vector<Hash> stored_nodes;
    stored_nodes.reserve(c_.nodes.size());
    for (const StoredNode& n : c_.nodes) stored_nodes.push_back(n.hash);
    std::sort(stored_nodes.begin(), stored_nodes.end());
    parallel_for(c_.roots.size(), default_parallelism(), [&](size_t i) {
      const StoredRoot& root = c_.roots[i];
      RootCheck& check = checks[i];
      check.sorted = std::is_sorted(root.nodes.begin(), root.nodes.end());
      if (check.sorted) {
        // Both lists sorted: each search starts where the last one ended.
        auto stored = stored_nodes.begin();
        for (const Hash& n : root.nodes) {
          stored = std::lower_bound(stored, stored_nodes.end(), n);
          if (stored == stored_nodes.end() || *stored != n) check.missing.push_back(n);
        }
      } else {
        for (const Hash& n : root.nodes) {
          if (!nodes_.count(n)) check.missing.push_back(n);
        }
      }
      check.actual = root_hash(root.cluster, root.nodes);
    });
    for (size_t i = 0; i < c_.roots.size(); ++i) {
      const StoredRoot& root = c_.roots[i];
      for (const Hash& n : checks[i].missing) {
        add({ProblemKind::kMissingNode,
             "node " + n.hex(),
             "listed by a root but not stored",
             {describe_root(root.hash)}});
      }
      const Hash& actual = checks[i].actual;
      if (actual != root.hash || !checks[i].sorted) {
        VerifyProblem p{ProblemKind::kBadRoot,
                        "root " + root.hash.hex(),
                        "its cluster name and node list hash to " + actual.hex(),
                        {describe_root(root.hash)}};
        plan_root_repair(p, root.hash);
        add(std::move(p));
      }
    }
  }

  void plan_root_repair(VerifyProblem& p, const Hash& root) {
    if (!generations_of_root_.count(root) && !pinned_.count(root)) {
      p.fix = Repair{Repair::Action::kDeleteRoot,
                     root,
                     {},
                     {},
                     "deleted the root (no generation or pin refers to it)"};
    } else {
      p.repair = "not repaired: a generation or pin refers to it";
    }
  }

  void check_generations_pins_and_deployments() {
    for (const Generation& g : c_.generations) {
      if (stored_roots_.count(g.root)) continue;
      VerifyProblem p{ProblemKind::kMissingRoot,
                      "generation " + g.cluster + "@" + std::to_string(g.number),
                      "points at root " + g.root.hex() + ", which is not stored"};
      p.repair = "not repaired: import the root from another store (kix store import)";
      add(std::move(p));
    }
    for (const Pin& pin : c_.pins) {
      bool exists = pin.kind == ObjectKind::kRoot ? stored_roots_.count(pin.hash) > 0
                                                  : nodes_.count(pin.hash) > 0;
      if (exists) continue;
      VerifyProblem p{ProblemKind::kMissingRoot, "pin " + pin.hash.hex(),
                      "pins a " + std::string(object_kind_name(pin.kind)) + " that is not stored"};
      p.fix = Repair{Repair::Action::kDeletePin, pin.hash, {}, {}, "removed the pin"};
      add(std::move(p));
    }
    HashSet reported;
    for (const Deployment& d : c_.deployments) {
      if (stored_roots_.count(d.root) || !reported.insert(d.root).second) continue;
      VerifyProblem p{ProblemKind::kMissingRoot, "deployment of " + d.cluster,
                      "records root " + d.root.hex() + ", which is not stored"};
      p.fix = Repair{Repair::Action::kDeleteDeployments,
                     d.root,
                     {},
                     {},
                     "removed the deployment records of the missing root"};
      add(std::move(p));
    }
  }

  void add(VerifyProblem p) {
    if (!p.fix && p.repair.empty()) p.repair = "not repaired";
    report_.problems.push_back(std::move(p));
  }

  const VerifyContents& c_;
  const VerifyOptions& options_;
  std::unordered_map<Hash, const StoredNode*, HashHasher> nodes_;
  HashSet referenced_;
  HashSet stored_roots_;
  HashSet pinned_;
  mutable std::optional<std::unordered_map<Hash, std::vector<Hash>, HashHasher>> roots_of_node_;
  std::unordered_map<Hash, std::vector<std::string>, HashHasher> generations_of_root_;
  VerifyReport report_;
};

}  // namespace

bool VerifyReport::ok() const {
  return std::all_of(problems.begin(), problems.end(),
                     [](const VerifyProblem& p) { return p.repaired; });
}

BlobState check_blob_bytes(const Hash& hash, std::string_view raw, const SealedSecret* sealed,
                           SecretKeyring* keys) {
  BlobState state;
  Hash actual = Hash::of(raw);
  const bool legacy = sealed != nullptr && sealed->legacy;
  if (actual != hash && !legacy) {
    state.problem = "its content hashes to " + actual.hex();
    return state;
  }
  if (sealed == nullptr) {
    // Most blobs: their canonical form and identity read from the bytes.
    if (std::optional<ResourceId> id = canonical_manifest_identity(raw)) {
      state.identity = std::move(*id);
      state.ok = true;
      return state;
    }
  }
  Json value;
  try {
    value = Json::parse(raw);
  } catch (const Json::exception&) {
    state.problem = "its content is not JSON";
    return state;
  }
  try {
    // A manifest's identity, and canonical bytes: every hash above a blob
    // assumes both.
    Manifest m = make_manifest(std::move(value), {});
    if (m.canonical != raw) {
      state.problem = "its content is not in canonical form (RFC 8785)";
      return state;
    }
    state.identity = m.id;
    if (m.needs_sealing || sealed != nullptr) {
      // A Secret: its blob holds HMACs, never values, and its values are sealed.
      state.secret = true;
      if (!is_secret(m.value) || !is_hash_form(m.value)) {
        state.problem = sealed == nullptr ? "it holds a Secret's values in plaintext"
                                          : "it has sealed values but is not a Secret's hash form";
        return state;
      }
      if (sealed == nullptr) {
        state.problem = "the sealed values of this Secret are missing";
        return state;
      }
      const SecretKey* key = keys != nullptr ? keys->key() : nullptr;
      if (key == nullptr || key->id() != sealed->key_id) {
        state.unopened = true;
      } else {
        unseal(m.value, hash, *sealed, *keys);  // throws kCorruption when they do not match
      }
    }
  } catch (const Error& e) {
    state.problem = e.kind() == ErrorKind::kCorruption
                        ? e.message()
                        : "its content is not a manifest: " + e.message();
    return state;
  }
  state.ok = true;
  return state;
}

VerifyReport check_store_contents(const VerifyContents& contents, const VerifyOptions& options) {
  return Checker(contents, options).run();
}

}  // namespace kix
