#include "store/gc.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
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

Error malformed(const std::string& what) {
  return Error(ErrorKind::kInternal, "gc was given an inconsistent snapshot: " + what);
}

// The snapshot's arrays must agree before any position is trusted.
void check_shape(const GcSnapshot& s) {
  const size_t n = s.nodes.size();
  if (n >= UINT32_MAX || s.blobs.size() >= UINT32_MAX) throw malformed("too many objects");
  if (s.node_blobs.size() != n) throw malformed("node_blobs does not match nodes");
  if (s.blob_sizes.size() != s.blobs.size()) throw malformed("blob_sizes does not match blobs");
  if (!s.ref_starts.empty()) {
    if (s.ref_starts.size() != n + 1 || s.ref_starts.front() != 0 ||
        s.ref_starts.back() != s.ref_targets.size()) {
      throw malformed("ref_starts does not match nodes and ref_targets");
    }
    for (size_t i = 0; i < n; ++i) {
      if (s.ref_starts[i] > s.ref_starts[i + 1]) throw malformed("ref_starts decreases");
    }
    for (uint32_t t : s.ref_targets) {
      if (t >= n) throw malformed("a reference names no node");
    }
  } else if (!s.ref_targets.empty()) {
    throw malformed("ref_targets without ref_starts");
  }
  for (const auto& [src, number] : s.dangling_refs) {
    if (src >= n) throw malformed("a dangling reference's source names no node");
  }
}

// Positions of hashes, sorted by hash, for finding a hash's position: by
// binary search, or walking forward through a sorted list of hashes (a
// root's nodes) from where the previous one was found.
class PositionsByHash {
 public:
  // `what` names the objects ("node", "blob") for the error when one of
  // them is listed twice: the second copy would be neither found nor
  // kept, and deleted by its row although its hash is live.
  PositionsByHash(const std::vector<Hash>& hashes, const char* what) {
    entries_.reserve(hashes.size());
    for (size_t i = 0; i < hashes.size(); ++i) {
      entries_.push_back(Entry{prefix(hashes[i]), hashes[i], static_cast<uint32_t>(i)});
    }
    std::sort(entries_.begin(), entries_.end());
    for (size_t i = 1; i < entries_.size(); ++i) {
      if (entries_[i - 1].hash == entries_[i].hash) {
        throw damaged(std::string(what) + " " + entries_[i].hash.hex() + " is stored twice");
      }
    }
  }

  std::optional<uint32_t> find(const Hash& h) const {
    size_t cursor = 0;
    return find(h, cursor);
  }

  // As find(h), starting at `cursor`, which it leaves where `h` is or
  // would be. For hashes asked in ascending order this costs the distance
  // walked (galloping), not a search of everything; a hash not above the
  // entry before the cursor (a list out of order) is searched for from the
  // start.
  std::optional<uint32_t> find(const Hash& h, size_t& cursor) const {
    const Entry key{prefix(h), h, 0};
    auto before = [](const Entry& a, const Entry& b) { return a.key_less(b); };
    if (cursor > entries_.size() || (cursor > 0 && !entries_[cursor - 1].key_less(key))) {
      cursor = 0;
    }
    size_t step = 1;
    size_t high = cursor;
    while (high < entries_.size() && entries_[high].key_less(key)) {
      cursor = high + 1;
      high += step;
      step *= 2;
    }
    const size_t end = std::min(high, entries_.size());
    cursor = static_cast<size_t>(
        std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(cursor),
                         entries_.begin() + static_cast<std::ptrdiff_t>(end), key, before) -
        entries_.begin());
    if (cursor < entries_.size() && entries_[cursor].hash == h) return entries_[cursor].position;
    return std::nullopt;
  }

 private:
  // The first eight bytes as a number in byte order: most comparisons end
  // there, without a call to memcmp.
  static uint64_t prefix(const Hash& h) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | h.bytes()[i];
    return v;
  }
  struct Entry {
    uint64_t prefix;
    Hash hash;
    uint32_t position;
    bool key_less(const Entry& o) const {
      return prefix != o.prefix ? prefix < o.prefix : hash < o.hash;
    }
    bool operator<(const Entry& o) const { return key_less(o); }
  };
  std::vector<Entry> entries_;
};

// Every node a live root lists or a pin names, and everything they reach:
// one flag per node position.
std::vector<uint8_t> mark_nodes(const GcSnapshot& s, const PositionsByHash& nodes_by_hash,
                                const std::vector<Hash>& live_roots,
                                const std::vector<Hash>& pinned_nodes) {
  std::vector<uint8_t> live(s.nodes.size(), 0);
  std::vector<uint32_t> queue;
  auto keep = [&](uint32_t p) {
    if (live[p] == 0) {
      live[p] = 1;
      queue.push_back(p);
    }
  };
  for (const Hash& n : pinned_nodes) {
    auto p = nodes_by_hash.find(n);
    if (!p) throw damaged("node " + n.hex() + ", kept by a pin, is not stored");
    keep(*p);
  }
  for (const Hash& root : live_roots) {
    std::vector<Hash> nodes;
    try {
      nodes = s.root_nodes(root);
    } catch (const Error& e) {
      throw damaged("kept root " + root.hex() + " cannot be read: " + e.message());
    }
    size_t cursor = 0;
    for (const Hash& n : nodes) {
      auto p = nodes_by_hash.find(n, cursor);
      if (!p) {
        throw damaged("node " + n.hex() + ", kept by root " + root.hex() + ", is not stored");
      }
      keep(*p);
    }
  }
  if (s.ref_starts.empty()) return live;
  while (!queue.empty()) {
    const uint32_t p = queue.back();
    queue.pop_back();
    for (uint32_t e = s.ref_starts[p]; e < s.ref_starts[p + 1]; ++e) keep(s.ref_targets[e]);
  }
  return live;
}

}  // namespace

void GcSnapshot::set_refs(std::vector<std::pair<uint32_t, uint32_t>> edges) {
  const size_t n = nodes.size();
  std::vector<uint32_t> starts(n + 1, 0);
  for (const auto& [src, dst] : edges) {
    if (src >= n || dst >= n) throw malformed("a reference names no node");
    ++starts[src + 1];
  }
  for (size_t i = 0; i < n; ++i) starts[i + 1] += starts[i];
  std::vector<uint32_t> targets(edges.size(), 0);
  std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
  for (const auto& [src, dst] : edges) targets[next[src]++] = dst;
  ref_starts = std::move(starts);
  ref_targets = std::move(targets);
}

GcPlan plan_gc(const GcSnapshot& s, const GcOptions& options) {
  if (options.keep_generations && *options.keep_generations < 1) {
    throw Error(ErrorKind::kInvalidInput, "--keep-generations must be at least 1", {},
                "the current generation of every cluster is always kept");
  }
  check_shape(s);
  GcPlan plan;
  HashSet live_roots_set;
  plan.expired_generations = expire_generations(s.generations, options, live_roots_set);
  std::vector<Hash> pinned_nodes;
  for (const Pin& pin : s.pins) {
    if (pin.kind == ObjectKind::kRoot) {
      live_roots_set.insert(pin.hash);
    } else {
      pinned_nodes.push_back(pin.hash);
    }
  }
  std::sort(pinned_nodes.begin(), pinned_nodes.end());  // the first problem named is stable
  // What is running in a cluster stays in the store, so it can always be
  // diffed against and rolled back to, whatever the generation options say.
  live_roots_set.insert(s.deployed_roots.begin(), s.deployed_roots.end());

  HashSet stored_roots(s.roots.begin(), s.roots.end());
  std::vector<Hash> live_roots(live_roots_set.begin(), live_roots_set.end());
  std::sort(live_roots.begin(), live_roots.end());
  for (const Hash& root : live_roots) {
    if (!stored_roots.count(root)) {
      throw damaged("root " + root.hex() +
                    " is kept (by a generation, pin or deployment) but not stored");
    }
  }
  const std::vector<uint8_t> live_nodes =
      mark_nodes(s, PositionsByHash(s.nodes, "node"), live_roots, pinned_nodes);
  for (const auto& [src, number] : s.dangling_refs) {
    if (live_nodes[src] != 0) {
      throw damaged("node " + s.nodes[src].hex() + " is kept but references " +
                    (number < 0 ? std::string("a node") : "node number " + std::to_string(number)) +
                    ", which is not stored");
    }
  }

  std::vector<uint8_t> live_blobs(s.blobs.size(), 0);
  {
    const PositionsByHash blobs_by_hash(s.blobs, "blob");
    for (size_t p = 0; p < s.nodes.size(); ++p) {
      if (live_nodes[p] == 0) continue;
      auto b = blobs_by_hash.find(s.node_blobs[p]);
      if (!b) {
        throw damaged("blob " + s.node_blobs[p].hex() + " of kept node " + s.nodes[p].hex() +
                      " is not stored");
      }
      live_blobs[*b] = 1;
    }
  }

  for (const Hash& r : s.roots) {
    if (live_roots_set.count(r)) {
      ++plan.result.kept_roots;
    } else {
      plan.dead_roots.push_back(r);
    }
  }
  for (size_t p = 0; p < s.nodes.size(); ++p) {
    if (live_nodes[p] != 0) {
      ++plan.result.kept_nodes;
      continue;
    }
    plan.dead_node_positions.push_back(static_cast<uint32_t>(p));
    plan.dead_nodes.push_back(s.nodes[p]);
    if (!s.ref_starts.empty()) plan.result.refs += s.ref_starts[p + 1] - s.ref_starts[p];
  }
  for (size_t p = 0; p < s.blobs.size(); ++p) {
    if (live_blobs[p] != 0) {
      ++plan.result.kept_blobs;
      continue;
    }
    plan.dead_blob_positions.push_back(static_cast<uint32_t>(p));
    plan.dead_blobs.push_back(s.blobs[p]);
    plan.result.blob_bytes += s.blob_sizes[p].stored;
    plan.result.raw_bytes += s.blob_sizes[p].raw;
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
  // Deterministic order, whatever order the store read its tables in.
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
