// SqliteStore's gc and verify: the tables are read in full, in one
// transaction, without going through any index (NOT INDEXED), after
// SQLite's own integrity check; store/gc.cc and store/verify.cc decide, and
// the changes are applied here in the same transaction.
#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "store/blob_check.h"
#include "store/blob_writer.h"
#include "store/gc.h"
#include "store/integrity_check.h"
#include "store/root_encoding.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "util/error.h"
#include "util/parallel_for.h"

namespace kix {

using sqlite::Transaction;

namespace {

// Compressed blob bytes verify holds at once, checked as one batch.
constexpr size_t kVerifyBatchBytes = 4u << 20;

struct RootRow {
  std::string cluster;
  std::string nodes;  // full list or delta
  std::optional<Hash> base;
};

// Every row of `roots`, read from the table itself.
std::unordered_map<Hash, RootRow, HashHasher> read_root_rows(sqlite::Database& db) {
  std::unordered_map<Hash, RootRow, HashHasher> rows;
  auto s = db.prepare("SELECT hash, cluster, nodes, base FROM roots NOT INDEXED");
  while (s.step()) {
    RootRow row{s.column_text(1), std::string(s.column_blob(2)), std::nullopt};
    if (!s.column_is_null(3)) row.base = s.column_hash(3);
    rows.emplace(s.column_hash(0), std::move(row));
  }
  return rows;
}

// Decodes roots' node lists from the rows (following their chains of
// deltas) without any query, each delta applied once for all the roots
// asked for: verify decodes all roots, and decoding each on its own applied
// a chain of k deltas k times (10% of a verify of 20 generations).
class RootDecoder {
 public:
  explicit RootDecoder(const std::unordered_map<Hash, RootRow, HashHasher>& rows) : rows_(rows) {}

  // Throws kCorruption for a root that is not stored, a delta against a
  // missing root, a chain of more than 64 deltas or a damaged list; a root
  // that failed once is tried again (and fails again) when asked for again.
  void decode(const Hash& hash) {
    std::vector<std::pair<Hash, const RootRow*>> chain;  // not yet decoded, newest first
    Hash at = hash;
    const Decoded* below = nullptr;
    while (true) {
      if (auto done = decoded_.find(at); done != decoded_.end()) {
        below = &done->second;
        break;
      }
      auto it = rows_.find(at);
      if (it == rows_.end()) {
        throw Error(ErrorKind::kCorruption,
                    chain.empty() ? "root " + hash.hex() + " is not stored"
                                  : "root " + hash.hex() + " is stored as a delta against root " +
                                        at.hex() + ", which is missing");
      }
      chain.emplace_back(at, &it->second);
      if (!it->second.base) break;
      if (chain.size() > 64) {
        throw Error(ErrorKind::kCorruption,
                    "root " + hash.hex() + " is a chain of too many deltas");
      }
      at = *it->second.base;
    }
    if (below != nullptr && chain.size() + below->depth > 64) {
      throw Error(ErrorKind::kCorruption, "root " + hash.hex() + " is a chain of too many deltas");
    }
    // From the oldest: a full list, or the decoded root it is a delta against.
    size_t depth = below != nullptr ? below->depth : 0;
    const std::vector<Hash>* base = below != nullptr ? &below->nodes : nullptr;
    for (size_t i = chain.size(); i-- > 0;) {
      const auto& [root, row] = chain[i];
      std::vector<Hash> nodes =
          base == nullptr ? unpack_hashes(row->nodes) : apply_delta(*base, row->nodes);
      depth += base == nullptr ? 0 : 1;
      base = &decoded_.insert_or_assign(root, Decoded{std::move(nodes), depth}).first->second.nodes;
    }
  }

  // A root's node list, decoded first if it was not yet; valid until the
  // decoder is destroyed. Throws as decode(). Not after take() of it.
  const std::vector<Hash>& nodes(const Hash& hash) {
    if (decoded_.find(hash) == decoded_.end()) decode(hash);
    return decoded_.at(hash).nodes;
  }

  // Moves out a decoded root's list (nullopt when it could not be decoded).
  std::optional<std::vector<Hash>> take(const Hash& hash) {
    auto it = decoded_.find(hash);
    if (it == decoded_.end()) return std::nullopt;
    return std::move(it->second.nodes);
  }

 private:
  struct Decoded {
    std::vector<Hash> nodes;
    size_t depth = 0;  // deltas between it and a full list
  };
  const std::unordered_map<Hash, RootRow, HashHasher>& rows_;
  std::unordered_map<Hash, Decoded, HashHasher> decoded_;
};

// Every edge of `refs` with both ends as hashes, read from the tables
// themselves: `numbers` maps nodes.id to nodes.hash. An edge whose source
// is not stored belongs to nothing and is skipped; one whose target is not
// stored is reported through `dangling` (source hash, target number).
void read_edges(sqlite::Database& db, const std::unordered_map<int64_t, Hash>& numbers,
                std::unordered_map<Hash, std::vector<Hash>, HashHasher>& edges,
                std::vector<std::pair<Hash, int64_t>>* dangling) {
  auto s = db.prepare("SELECT src, dst FROM refs NOT INDEXED");
  while (s.step()) {
    auto src = numbers.find(s.column_int(0));
    if (src == numbers.end()) continue;
    auto dst = numbers.find(s.column_int(1));
    if (dst != numbers.end()) {
      edges[src->second].push_back(dst->second);
    } else if (dangling != nullptr) {
      dangling->emplace_back(src->second, s.column_int(1));
    }
  }
}

// Deletes nodes with their outgoing edges (edges name nodes by number).
void delete_nodes(sqlite::Database& db, const std::vector<Hash>& hashes) {
  auto refs = db.prepare("DELETE FROM refs WHERE src = (SELECT id FROM nodes WHERE hash = ?)");
  auto nodes = db.prepare("DELETE FROM nodes WHERE hash = ?");
  for (const Hash& h : hashes) {
    refs.bind(1, h);
    refs.run();
    nodes.bind(1, h);
    nodes.run();
  }
}

void delete_by_hash(sqlite::Database& db, const char* sql, const std::vector<Hash>& hashes) {
  auto s = db.prepare(sql);
  for (const Hash& h : hashes) {
    s.bind(1, h);
    s.run();
  }
}

// Where gc found each node and blob: their row numbers, by their
// positions in the snapshot.
struct RowNumbers {
  std::vector<int64_t> nodes;  // nodes.id
  std::vector<int64_t> blobs;  // blobs.rowid

  // The rows at `positions`, ascending: deleting in table order dirties
  // each page once, in turn.
  static std::vector<int64_t> of(const std::vector<uint32_t>& positions,
                                 const std::vector<int64_t>& rows) {
    std::vector<int64_t> out;
    out.reserve(positions.size());
    for (uint32_t p : positions) out.push_back(rows.at(p));
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Finds a node's position from its number (nodes.id). Built from the
// numbers in the order the table gave them: ascending for a rowid table,
// then a search of that list itself, otherwise of a sorted copy.
class PositionsByNumber {
 public:
  explicit PositionsByNumber(const std::vector<int64_t>& numbers) : numbers_(numbers) {
    if (!std::is_sorted(numbers.begin(), numbers.end())) {
      for (size_t i = 0; i < numbers.size(); ++i) {
        sorted_.emplace_back(numbers[i], static_cast<uint32_t>(i));
      }
      std::sort(sorted_.begin(), sorted_.end());
    }
  }

  std::optional<uint32_t> find(int64_t number) const {
    if (sorted_.empty()) {
      auto it = std::lower_bound(numbers_.begin(), numbers_.end(), number);
      if (it == numbers_.end() || *it != number) return std::nullopt;
      return static_cast<uint32_t>(it - numbers_.begin());
    }
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::pair{number, uint32_t{0}});
    if (it == sorted_.end() || it->first != number) return std::nullopt;
    return it->second;
  }

 private:
  const std::vector<int64_t>& numbers_;
  std::vector<std::pair<int64_t, uint32_t>> sorted_;  // only when numbers_ is not sorted
};

// gc's plan from the tables themselves, read in full without any index;
// `rows` receives where each node and blob was found.
GcPlan plan_from_tables(sqlite::Database& db, const GcOptions& options, RowNumbers& rows) {
  GcSnapshot snapshot;
  {
    auto s = db.prepare("SELECT cluster, number, root, time FROM generations NOT INDEXED");
    while (s.step()) {
      snapshot.generations.push_back(
          Generation{s.column_text(0), s.column_int(1), s.column_hash(2), s.column_int(3), {}, {}});
    }
  }
  {
    auto s = db.prepare("SELECT hash, kind, time FROM pins NOT INDEXED");
    while (s.step()) {
      snapshot.pins.push_back(
          Pin{s.column_hash(0), s.column_text(1) == "node" ? ObjectKind::kNode : ObjectKind::kRoot,
              s.column_int(2)});
    }
  }
  {
    // The last deployment as Store::last_deployment orders them: by time,
    // then as recorded.
    std::map<std::string, std::pair<std::pair<int64_t, int64_t>, Hash>> last;
    auto s = db.prepare("SELECT time, id, cluster, root FROM deployments NOT INDEXED");
    while (s.step()) {
      auto order = std::pair{s.column_int(0), s.column_int(1)};
      auto [entry, added] = last.try_emplace(s.column_text(2), order, s.column_hash(3));
      if (!added && order > entry->second.first) entry->second = {order, s.column_hash(3)};
    }
    for (const auto& [cluster, entry] : last) snapshot.deployed_roots.push_back(entry.second);
  }
  auto root_rows = read_root_rows(db);
  for (const auto& [hash, row] : root_rows) snapshot.roots.push_back(hash);
  RootDecoder decoder(root_rows);
  snapshot.root_nodes = [&](const Hash& h) { return decoder.nodes(h); };
  {
    auto s = db.prepare("SELECT id, hash, blob FROM nodes NOT INDEXED");
    while (s.step()) {
      rows.nodes.push_back(s.column_int(0));
      snapshot.nodes.push_back(s.column_hash(1));
      snapshot.node_blobs.push_back(s.column_hash(2));
    }
  }
  {
    // An edge whose source is not stored belongs to nothing and is
    // skipped; one whose target is not stored is reported as dangling.
    const PositionsByNumber positions(rows.nodes);
    std::vector<std::pair<uint32_t, uint32_t>> edges;
    auto s = db.prepare("SELECT src, dst FROM refs NOT INDEXED");
    while (s.step()) {
      auto src = positions.find(s.column_int(0));
      if (!src) continue;
      auto dst = positions.find(s.column_int(1));
      if (dst) {
        edges.emplace_back(*src, *dst);
      } else {
        snapshot.dangling_refs.emplace_back(*src, s.column_int(1));
      }
    }
    snapshot.set_refs(std::move(edges));
  }
  {
    auto s = db.prepare("SELECT rowid, hash, length(data), raw_size FROM blobs NOT INDEXED");
    while (s.step()) {
      rows.blobs.push_back(s.column_int(0));
      snapshot.blobs.push_back(s.column_hash(1));
      snapshot.blob_sizes.push_back(GcSnapshot::BlobSize{static_cast<uint64_t>(s.column_int(2)),
                                                         static_cast<uint64_t>(s.column_int(3))});
    }
  }

  {
    auto s = db.prepare("SELECT hash, length(data) FROM sources NOT INDEXED");
    while (s.step()) {
      snapshot.sources.emplace(s.column_hash(0), static_cast<uint64_t>(s.column_int(1)));
    }
  }
  {
    auto s = db.prepare("SELECT root, source FROM root_sources NOT INDEXED");
    while (s.step()) snapshot.root_sources[s.column_hash(0)].push_back(s.column_hash(1));
  }

  return plan_gc(snapshot, options);
}

}  // namespace

GcResult SqliteStore::collect_garbage(const GcOptions& options) {
  Transaction t(db_, Transaction::Mode::kWrite);
  // SQLite's check reads the whole file on another core while this one
  // reads the tables and plans; nothing is deleted before it passed. Under
  // the write lock it sees exactly the state read here.
  BackgroundIntegrityCheck integrity(database_file());
  GcPlan plan;
  RowNumbers rows;
  std::exception_ptr plan_failure;
  try {
    plan = plan_from_tables(db_, options, rows);
  } catch (const Error&) {
    plan_failure = std::current_exception();
  }
  IntegrityReport integrity_report;
  try {
    integrity_report = integrity.wait();
  } catch (const Error&) {
    // A check that could not run says less than the plan's own error.
    if (plan_failure) std::rethrow_exception(plan_failure);
    throw;
  }
  // Damage the check found comes first: a table that could not be read,
  // or a plan that found the graph broken, is most often that damage.
  if (!integrity_report.problems.empty()) {
    throw Error(ErrorKind::kCorruption,
                "gc refused to run: the store database fails its integrity check (" +
                    integrity_report.problems.front() + ")",
                {},
                "nothing was deleted; run `kix store verify` to see what is damaged and "
                "`kix store verify --repair` to fix what can be fixed");
  }
  if (plan_failure) std::rethrow_exception(plan_failure);
  if (options.dry_run) return plan.result;  // the transaction rolls back

  auto drop_generation = db_.prepare("DELETE FROM generations WHERE cluster = ? AND number = ?");
  for (const Generation& g : plan.expired_generations) {
    drop_generation.bind(1, g.cluster).bind(2, g.number);
    drop_generation.run();
  }
  // A kept root stored as a delta against a deleted one becomes a full list.
  store_roots_in_full(plan.dead_roots);
  delete_by_hash(db_, "DELETE FROM roots WHERE hash = ?", plan.dead_roots);
  // Older deployment records of collected roots would name nothing.
  delete_by_hash(db_, "DELETE FROM deployments WHERE root = ?", plan.dead_roots);
  db_.exec("DELETE FROM partial_deployments WHERE id NOT IN (SELECT id FROM deployments)");
  // Nodes and blobs by the row numbers they were read with: no lookup by
  // hash, and each page of the tables is visited once, in order.
  {
    auto refs = db_.prepare("DELETE FROM refs WHERE src = ?");
    auto nodes = db_.prepare("DELETE FROM nodes WHERE id = ?");
    for (int64_t id : RowNumbers::of(plan.dead_node_positions, rows.nodes)) {
      refs.bind(1, id);
      refs.run();
      nodes.bind(1, id);
      nodes.run();
    }
  }
  // Reasons name field paths and sometimes resources; none outlives its
  // last edge.
  db_.exec("DELETE FROM reasons WHERE id NOT IN (SELECT reason FROM refs)");
  {
    auto blobs = db_.prepare("DELETE FROM blobs WHERE rowid = ?");
    for (int64_t row : RowNumbers::of(plan.dead_blob_positions, rows.blobs)) {
      blobs.bind(1, row);
      blobs.run();
    }
  }
  // A Secret's sealed values go with its blob (secure_delete zeroes them).
  delete_by_hash(db_, "DELETE FROM secrets WHERE blob = ?", plan.dead_blobs);
  db_.exec("DELETE FROM secrets WHERE blob NOT IN (SELECT hash FROM blobs)");
  delete_by_hash(db_, "DELETE FROM root_sources WHERE root = ?", plan.dead_roots);
  delete_by_hash(db_, "DELETE FROM sources WHERE hash = ?", plan.dead_sources);
  t.commit();
  return plan.result;
}

VerifyReport SqliteStore::verify(const VerifyOptions& options) {
  // A snapshot for a check, the write lock for a repair: either way the
  // tables are read in one consistent state.
  Transaction t(db_, options.repair ? Transaction::Mode::kWrite : Transaction::Mode::kRead);
  VerifyContents c;
  // SQLite's check reads the whole file on another core while the tables
  // are read and the blobs checked here.
  BackgroundIntegrityCheck integrity(database_file());
  {
    std::unordered_map<int64_t, Hash> numbers;
    auto s = db_.prepare(
        "SELECT id, hash, blob, api_version, kind, namespace, name FROM nodes NOT INDEXED");
    while (s.step()) {
      numbers.emplace(s.column_int(0), s.column_hash(1));
      c.nodes.push_back(StoredNode{
          s.column_hash(1), s.column_hash(2),
          ResourceId{s.column_text(3), s.column_text(4), s.column_text(5), s.column_text(6)}});
    }
    read_edges(db_, numbers, c.refs, &c.dangling_refs);
  }
  auto root_rows = read_root_rows(db_);
  {
    // Decodes node lists stored as deltas; a damaged delta or a missing
    // base is a bad root. Every root is decoded before any is moved out:
    // later ones may be deltas against it.
    RootDecoder decoder(root_rows);
    for (const auto& [hash, row] : root_rows) {
      try {
        decoder.decode(hash);
      } catch (const Error& e) {
        c.undecodable_roots.emplace_back(hash, e.message());
      }
    }
    for (const auto& [hash, row] : root_rows) {
      if (auto nodes = decoder.take(hash)) {
        c.roots.push_back(StoredRoot{hash, row.cluster, std::move(*nodes)});
      }
    }
  }
  {
    auto s = db_.prepare(
        "SELECT cluster, number, root, time, message, source_revision FROM generations "
        "NOT INDEXED");
    while (s.step()) {
      c.generations.push_back(Generation{s.column_text(0), s.column_int(1), s.column_hash(2),
                                         s.column_int(3), s.column_text(4), s.column_text(5)});
    }
  }
  {
    auto s = db_.prepare("SELECT hash, kind, time FROM pins NOT INDEXED");
    while (s.step()) {
      c.pins.push_back(Pin{s.column_hash(0),
                           s.column_text(1) == "node" ? ObjectKind::kNode : ObjectKind::kRoot,
                           s.column_int(2)});
    }
  }
  {
    auto s = db_.prepare("SELECT cluster, root, time, context FROM deployments NOT INDEXED");
    while (s.step()) {
      c.deployments.push_back(Deployment{
          s.column_text(0), s.column_hash(1), s.column_int(2), s.column_text(3), {}, {}});
    }
  }
  std::unordered_map<Hash, SealedSecret, HashHasher> sealed;
  {
    auto s = db_.prepare("SELECT blob, key_id, sealed, legacy FROM secrets NOT INDEXED");
    while (s.step()) {
      sealed.emplace(s.column_hash(0), SealedSecret{s.column_text(1), std::string(s.column_blob(2)),
                                                    s.column_int(3) != 0});
    }
  }
  {
    // Blobs are decompressed and checked on every core, a batch at a time
    // so that memory holds one batch of compressed rows; a Secret's blob is
    // checked here, where its key may be loaded. (Reading the next batch
    // while one is checked made no measurable difference: checking is
    // nearly all of the time.)
    const unsigned threads = default_parallelism();
    DictionaryLookup lookup = [this](int64_t id) { return dictionary(id); };
    std::vector<StoredBlob> batch;
    size_t batch_bytes = 0;
    auto check_batch = [&] {
      std::vector<BlobState> states = check_stored_blobs(batch, lookup, threads);
      for (size_t i = 0; i < batch.size(); ++i)
        c.blobs.emplace(batch[i].hash, std::move(states[i]));
      batch.clear();
      batch_bytes = 0;
    };
    auto s = db_.prepare("SELECT hash, raw_size, data, dict FROM blobs NOT INDEXED");
    while (s.step()) {
      Hash h = s.column_hash(0);
      if (auto it = sealed.find(h); it != sealed.end()) {
        BlobState state;
        try {
          std::string raw = decompress_blob(h, s.column_blob(2),
                                            static_cast<size_t>(s.column_int(1)), s.column_int(3));
          state = check_blob_bytes(h, raw, &it->second, options.keys);
        } catch (const Error& e) {
          state.problem = e.message();
        }
        c.blobs.emplace(h, std::move(state));
        continue;
      }
      batch.push_back(StoredBlob{h, static_cast<uint64_t>(s.column_int(1)),
                                 std::string(s.column_blob(2)), s.column_int(3)});
      batch_bytes += batch.back().data.size();
      if (batch_bytes >= kVerifyBatchBytes) check_batch();
    }
    check_batch();
  }

  {
    auto s = db_.prepare("SELECT hash, data FROM sources NOT INDEXED");
    while (s.step())
      c.sources.emplace_back(s.column_hash(0), Hash::of(s.column_blob(1)) == s.column_hash(0));
  }

  IntegrityReport integrity_report = integrity.wait();
  c.database_problems = std::move(integrity_report.problems);
  c.only_indexes_damaged = integrity_report.only_indexes;
  VerifyReport report = check_store_contents(c, options);
  if (!options.repair) return report;

  // Indexes first: every other repair looks rows up through them.
  std::stable_partition(report.problems.begin(), report.problems.end(), [](const VerifyProblem& p) {
    return p.fix && p.fix->action == Repair::Action::kRebuildIndexes;
  });
  BlobWriter blobs(*this);
  for (VerifyProblem& p : report.problems) {
    if (!p.fix) continue;
    const Repair& fix = *p.fix;
    switch (fix.action) {
      case Repair::Action::kRebuildIndexes: {
        db_.exec("REINDEX");
        if (!check_integrity(db_).problems.empty()) {
          p.repair = "not repaired: the database still fails its check after rebuilding indexes";
          continue;
        }
        break;
      }
      case Repair::Action::kRestoreBlob:
        blobs.replace(fix.hash, fix.canonical);
        if (fix.sealed) {
          delete_by_hash(db_, "DELETE FROM secrets WHERE blob = ?", {fix.hash});
          blobs.put_sealed(fix.hash, *fix.sealed);
        }
        break;
      case Repair::Action::kDeleteBlob:
        delete_by_hash(db_, "DELETE FROM blobs WHERE hash = ?", {fix.hash});
        delete_by_hash(db_, "DELETE FROM secrets WHERE blob = ?", {fix.hash});
        break;
      case Repair::Action::kRewriteIdentity: {
        auto s = db_.prepare(
            "UPDATE nodes SET api_version = ?, kind = ?, namespace = ?, name = ? WHERE hash = ?");
        s.bind(1, fix.identity.api_version)
            .bind(2, fix.identity.kind)
            .bind(3, fix.identity.ns)
            .bind(4, fix.identity.name)
            .bind(5, fix.hash);
        s.run();
        break;
      }
      case Repair::Action::kDeleteNode:
        delete_nodes(db_, {fix.hash});
        break;
      case Repair::Action::kDeleteRoot:
        store_roots_in_full({fix.hash});
        delete_by_hash(db_, "DELETE FROM roots WHERE hash = ?", {fix.hash});
        break;
      case Repair::Action::kDeletePin:
        delete_by_hash(db_, "DELETE FROM pins WHERE hash = ?", {fix.hash});
        break;
      case Repair::Action::kDeleteDeployments:
        delete_by_hash(db_, "DELETE FROM deployments WHERE root = ?", {fix.hash});
        db_.exec("DELETE FROM partial_deployments WHERE id NOT IN (SELECT id FROM deployments)");
        break;
      case Repair::Action::kDeleteSource:
        delete_by_hash(db_, "DELETE FROM root_sources WHERE source = ?", {fix.hash});
        delete_by_hash(db_, "DELETE FROM sources WHERE hash = ?", {fix.hash});
        break;
    }
    p.repaired = true;
    p.repair = fix.description;
  }
  t.commit();
  return report;
}

}  // namespace kix
