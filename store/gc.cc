#include "store/gc.h"

#include <charconv>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "util/error.h"

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

struct GenerationRow {
  std::string cluster;
  int64_t number;
  Hash root;
  int64_t time;
};

// Decides which generations survive; returns the doomed ones and adds the
// roots of the survivors to `live_roots`.
std::vector<GenerationRow> expired_generations(sqlite::Database& db, const GcOptions& options,
                                               HashSet& live_roots) {
  std::map<std::string, std::vector<GenerationRow>> by_cluster;
  auto s =
      db.prepare("SELECT cluster, number, root, time FROM generations ORDER BY cluster, number");
  while (s.step()) {
    by_cluster[s.column_text(0)].push_back(
        GenerationRow{s.column_text(0), s.column_int(1), s.column_hash(2), s.column_int(3)});
  }
  const bool keep_all = !options.keep_generations && !options.older_than_seconds;
  std::vector<GenerationRow> expired;
  for (auto& [cluster, rows] : by_cluster) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t from_end = rows.size() - i;  // 1 for the current generation
      bool keep = keep_all || from_end == 1;
      if (options.keep_generations && static_cast<int64_t>(from_end) <= *options.keep_generations) {
        keep = true;
      }
      if (options.older_than_seconds && rows[i].time >= options.now - *options.older_than_seconds) {
        keep = true;
      }
      if (keep) {
        live_roots.insert(rows[i].root);
      } else {
        expired.push_back(rows[i]);
      }
    }
  }
  return expired;
}

// The live nodes: every node of a live root and everything reachable from
// those and from pinned nodes, following refs loaded once into memory.
HashSet mark_nodes(Store& store, const HashSet& live_roots, const HashSet& pinned_nodes) {
  sqlite::Database& db = store.database();
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> edges;
  auto refs = db.prepare("SELECT src, dst FROM refs");
  while (refs.step()) edges[refs.column_hash(0)].push_back(refs.column_hash(1));

  std::vector<Hash> queue(pinned_nodes.begin(), pinned_nodes.end());
  for (const Hash& root : live_roots) {
    // Decodes roots stored as deltas; a root that is not stored keeps nothing.
    if (auto stored = store.find_root(root)) {
      queue.insert(queue.end(), stored->nodes.begin(), stored->nodes.end());
    }
  }
  HashSet live;
  while (!queue.empty()) {
    Hash h = queue.back();
    queue.pop_back();
    if (!live.insert(h).second) continue;
    if (auto it = edges.find(h); it != edges.end()) {
      for (const Hash& to : it->second) queue.push_back(to);
    }
  }
  return live;
}

void delete_by_hash(sqlite::Database& db, const char* sql, const std::vector<Hash>& hashes) {
  auto s = db.prepare(sql);
  for (const Hash& h : hashes) {
    s.bind(1, h);
    s.run();
  }
}

}  // namespace

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

GcResult collect_garbage(Store& store, const GcOptions& options) {
  if (options.keep_generations && *options.keep_generations < 1) {
    throw Error(ErrorKind::kInvalidInput, "--keep-generations must be at least 1", {},
                "the current generation of every cluster is always kept");
  }
  sqlite::Database& db = store.database();
  sqlite::Transaction t(db, sqlite::Transaction::Mode::kWrite);
  GcResult result;

  HashSet live_roots;
  HashSet pinned_nodes;
  std::vector<GenerationRow> expired = expired_generations(db, options, live_roots);
  for (const Pin& pin : store.pins()) {
    (pin.kind == ObjectKind::kRoot ? live_roots : pinned_nodes).insert(pin.hash);
  }
  // What is running in a cluster stays in the store, so it can always be
  // diffed against and rolled back to, whatever the generation options say.
  auto deployed = db.prepare(
      "SELECT root FROM deployments d WHERE id = "
      "(SELECT MAX(id) FROM deployments WHERE cluster = d.cluster)");
  while (deployed.step()) live_roots.insert(deployed.column_hash(0));
  HashSet live_nodes = mark_nodes(store, live_roots, pinned_nodes);

  std::vector<Hash> dead_roots, dead_nodes, dead_blobs;
  auto roots = db.prepare("SELECT hash FROM roots");
  while (roots.step()) {
    Hash h = roots.column_hash(0);
    if (live_roots.count(h)) {
      ++result.kept_roots;
    } else {
      dead_roots.push_back(h);
    }
  }
  HashSet live_blobs;
  auto nodes = db.prepare("SELECT hash, blob FROM nodes");
  while (nodes.step()) {
    Hash h = nodes.column_hash(0);
    if (live_nodes.count(h)) {
      ++result.kept_nodes;
      live_blobs.insert(nodes.column_hash(1));
    } else {
      dead_nodes.push_back(h);
    }
  }
  auto blobs = db.prepare("SELECT hash, length(data), raw_size FROM blobs");
  while (blobs.step()) {
    Hash h = blobs.column_hash(0);
    if (live_blobs.count(h)) {
      ++result.kept_blobs;
    } else {
      dead_blobs.push_back(h);
      result.blob_bytes += static_cast<uint64_t>(blobs.column_int(1));
      result.raw_bytes += static_cast<uint64_t>(blobs.column_int(2));
    }
  }
  {
    HashSet dead(dead_nodes.begin(), dead_nodes.end());
    auto refs = db.prepare("SELECT src FROM refs");
    while (refs.step()) result.refs += dead.count(refs.column_hash(0));
  }
  result.generations = expired.size();
  result.roots = dead_roots.size();
  result.nodes = dead_nodes.size();
  result.blobs = dead_blobs.size();
  if (options.dry_run) return result;  // the transaction rolls back

  auto drop_generation = db.prepare("DELETE FROM generations WHERE cluster = ? AND number = ?");
  for (const auto& g : expired) {
    drop_generation.bind(1, g.cluster).bind(2, g.number);
    drop_generation.run();
  }
  // A kept root stored as a delta against a deleted one becomes a full list.
  store.store_roots_in_full(dead_roots);
  delete_by_hash(db, "DELETE FROM roots WHERE hash = ?", dead_roots);
  // Older deployment records of collected roots would name nothing.
  delete_by_hash(db, "DELETE FROM deployments WHERE root = ?", dead_roots);
  delete_by_hash(db, "DELETE FROM refs WHERE src = ?", dead_nodes);
  delete_by_hash(db, "DELETE FROM nodes WHERE hash = ?", dead_nodes);
  delete_by_hash(db, "DELETE FROM blobs WHERE hash = ?", dead_blobs);
  t.commit();
  return result;
}

}  // namespace kix
