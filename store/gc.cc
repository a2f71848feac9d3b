#include "store/gc.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_set>

#include "util/error.h"

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

Error damaged(const std::string& what) {
  return Error(ErrorKind::kCorruption, "gc refused to run: " + what, {},
               "nothing was deleted; run `kix store verify` to see what is damaged and "
               "`kix store verify --repair` to fix what can be fixed");
}

// Decides which generations survive; returns the expired ones and adds the
// roots of the survivors to `live_roots`.
std::vector<Generation> expire_generations(const std::vector<Generation>& generations,
                                           const GcOptions& options, HashSet& live_roots) {
  std::map<std::string, std::vector<const Generation*>> by_cluster;
  for (const Generation& g : generations) by_cluster[g.cluster].push_back(&g);
  const bool keep_all = !options.keep_generations && !options.older_than_seconds;
  std::vector<Generation> expired;
  for (auto& [cluster, rows] : by_cluster) {
    std::sort(rows.begin(), rows.end(),
              [](const Generation* a, const Generation* b) { return a->number < b->number; });
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t from_end = rows.size() - i;  // 1 for the current generation
      bool keep = keep_all || from_end == 1;
      if (options.keep_generations && static_cast<int64_t>(from_end) <= *options.keep_generations) {
        keep = true;
      }
      if (options.older_than_seconds &&
          rows[i]->time >= options.now - *options.older_than_seconds) {
        keep = true;
      }
      if (keep) {
        live_roots.insert(rows[i]->root);
      } else {
        expired.push_back(*rows[i]);
      }
    }
  }
  return expired;
}

// Who keeps a node alive, named only when something is wrong (a string per
// queued node was most of the marking's time).
struct Keeper {
  enum class Kind { kPin, kRoot, kNode } kind = Kind::kPin;
  Hash by;  // the root or node (not for a pin)

  std::string describe() const {
    switch (kind) {
      case Kind::kPin:
        return "a pin";
      case Kind::kRoot:
        return "root " + by.hex();
      case Kind::kNode:
        break;
    }
    return "node " + by.hex();
  }
};

// Every node a live root lists or a pin names, and everything they reach.
HashSet mark_nodes(const GcSnapshot& s, const std::vector<Hash>& live_roots,
                   const HashSet& pinned_nodes) {
  std::vector<std::pair<Hash, Keeper>> queue;
  for (const Hash& n : pinned_nodes) queue.emplace_back(n, Keeper{});
  for (const Hash& root : live_roots) {
    std::vector<Hash> nodes;
    try {
      nodes = s.root_nodes(root);
    } catch (const Error& e) {
      throw damaged("kept root " + root.hex() + " cannot be read: " + e.message());
    }
    for (const Hash& n : nodes) queue.emplace_back(n, Keeper{Keeper::Kind::kRoot, root});
  }
  HashSet live;
  live.reserve(s.node_blobs.size());
  while (!queue.empty()) {
    auto [h, keeper] = queue.back();
    queue.pop_back();
    if (!live.insert(h).second) continue;
    if (!s.node_blobs.count(h)) {
      throw damaged("node " + h.hex() + ", kept by " + keeper.describe() + ", is not stored");
    }
    if (auto it = s.refs.find(h); it != s.refs.end()) {
      for (const Hash& to : it->second) queue.emplace_back(to, Keeper{Keeper::Kind::kNode, h});
    }
  }
  return live;
}

}  // namespace

GcPlan plan_gc(const GcSnapshot& s, const GcOptions& options) {
  if (options.keep_generations && *options.keep_generations < 1) {
    throw Error(ErrorKind::kInvalidInput, "--keep-generations must be at least 1", {},
                "the current generation of every cluster is always kept");
  }
  GcPlan plan;
  HashSet live_roots_set;
  plan.expired_generations = expire_generations(s.generations, options, live_roots_set);
  HashSet pinned_nodes;
  for (const Pin& pin : s.pins) {
    (pin.kind == ObjectKind::kRoot ? live_roots_set : pinned_nodes).insert(pin.hash);
  }
  // What is running in a cluster stays in the store, so it can always be
  // diffed against and rolled back to, whatever the generation options say.
  live_roots_set.insert(s.deployed_roots.begin(), s.deployed_roots.end());

  HashSet stored_roots(s.roots.begin(), s.roots.end());
  std::vector<Hash> live_roots(live_roots_set.begin(), live_roots_set.end());
  std::sort(live_roots.begin(), live_roots.end());  // the first problem named is stable
  for (const Hash& root : live_roots) {
    if (!stored_roots.count(root)) {
      throw damaged("root " + root.hex() +
                    " is kept (by a generation, pin or deployment) but not stored");
    }
  }
  HashSet live_nodes = mark_nodes(s, live_roots, pinned_nodes);
  for (const auto& [src, number] : s.dangling_refs) {
    if (live_nodes.count(src)) {
      throw damaged("node " + src.hex() + " is kept but references node number " +
                    std::to_string(number) + ", which is not stored");
    }
  }

  HashSet live_blobs;
  for (const Hash& n : live_nodes) live_blobs.insert(s.node_blobs.at(n));
  for (const Hash& b : live_blobs) {
    if (!s.blobs.count(b)) throw damaged("blob " + b.hex() + " of a kept node is not stored");
  }

  for (const Hash& r : s.roots) {
    if (live_roots_set.count(r)) {
      ++plan.result.kept_roots;
    } else {
      plan.dead_roots.push_back(r);
    }
  }
  for (const auto& [node, blob] : s.node_blobs) {
    if (live_nodes.count(node)) {
      ++plan.result.kept_nodes;
    } else {
      plan.dead_nodes.push_back(node);
      if (auto it = s.refs.find(node); it != s.refs.end()) plan.result.refs += it->second.size();
    }
  }
  for (const auto& [blob, size] : s.blobs) {
    if (live_blobs.count(blob)) {
      ++plan.result.kept_blobs;
    } else {
      plan.dead_blobs.push_back(blob);
      plan.result.blob_bytes += size.stored;
      plan.result.raw_bytes += size.raw;
    }
  }
  // A source lives while a kept root used it.
  HashSet live_sources;
  const HashSet dead_roots(plan.dead_roots.begin(), plan.dead_roots.end());
  for (const auto& [root, sources] : s.root_sources) {
    if (dead_roots.count(root) || !stored_roots.count(root)) continue;
    live_sources.insert(sources.begin(), sources.end());
  }
  for (const auto& [source, size] : s.sources) {
    if (live_sources.count(source)) continue;
    plan.dead_sources.push_back(source);
    plan.result.source_bytes += size;
  }
  std::sort(plan.dead_sources.begin(), plan.dead_sources.end());
  plan.result.sources = plan.dead_sources.size();
  // Deterministic order, whatever the hash maps did.
  std::sort(plan.dead_roots.begin(), plan.dead_roots.end());
  std::sort(plan.dead_nodes.begin(), plan.dead_nodes.end());
  std::sort(plan.dead_blobs.begin(), plan.dead_blobs.end());
  plan.result.generations = plan.expired_generations.size();
  plan.result.roots = plan.dead_roots.size();
  plan.result.nodes = plan.dead_nodes.size();
  plan.result.blobs = plan.dead_blobs.size();
  return plan;
}

int64_t parse_duration(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  int64_t unit = 0;
  if (ec == std::errc() && p + 1 == end && value >= 0) {
    switch (*p) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        break;
    }
  }
  if (unit == 0 || value > INT64_MAX / unit) {
    throw Error(ErrorKind::kInvalidInput, "invalid duration '" + text + "'", {},
                "write a number and a unit: 90s, 45m, 12h, 30d or 2w");
  }
  return value * unit;
}

}  // namespace kix
