#include "store/store.h"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "store/schema.h"
#include "util/error.h"

namespace kix {

namespace {

using sqlite::Transaction;

// Cluster names appear in REFs (NAME, NAME@N) and file names, so they are
// restricted to what a Kubernetes name or context name would use.
void check_cluster_name(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 253 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      ok = false;
  }
  if (!ok) {
    throw Error(ErrorKind::kInvalidInput, "invalid cluster name '" + name + "'", {},
                "a cluster name starts with a letter or digit and contains only letters, digits, "
                "'-', '_' and '.' (at most 253 characters)");
  }
}

ResourceId read_identity(const sqlite::Statement& s, int first_column) {
  return ResourceId{s.column_text(first_column), s.column_text(first_column + 1),
                    s.column_text(first_column + 2), s.column_text(first_column + 3)};
}

Generation read_generation(const sqlite::Statement& s) {
  return Generation{s.column_text(0), s.column_int(1),  s.column_hash(2),
                    s.column_int(3),  s.column_text(4), s.column_text(5)};
}

constexpr std::string_view kGenerationColumns =
    "SELECT cluster, number, root, time, message, source_revision FROM generations ";

bool table_exists(sqlite::Database& db, std::string_view name) {
  auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

}  // namespace

std::string_view object_kind_name(ObjectKind kind) {
  return kind == ObjectKind::kRoot ? "root" : "node";
}

std::string pack_hashes(const std::vector<Hash>& hashes) {
  std::string out(hashes.size() * Hash::kSize, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(out.data() + i * Hash::kSize, hashes[i].bytes().data(), Hash::kSize);
  }
  return out;
}

// Delta layout: the number of removed hashes (4 bytes, little endian), the
// removed hashes, then the added ones, both sorted.
std::string pack_delta(const std::vector<Hash>& base, const std::vector<Hash>& nodes) {
  std::vector<Hash> removed, added;
  std::set_difference(base.begin(), base.end(), nodes.begin(), nodes.end(),
                      std::back_inserter(removed));
  std::set_difference(nodes.begin(), nodes.end(), base.begin(), base.end(),
                      std::back_inserter(added));
  uint32_t n = static_cast<uint32_t>(removed.size());
  std::string out{static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                  static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
  out += pack_hashes(removed);
  out += pack_hashes(added);
  return out;
}

std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta) {
  auto bad = [](const std::string& why) {
    return Error(ErrorKind::kCorruption, "a root's node delta is damaged: " + why, {},
                 "run `kix store verify`");
  };
  if (delta.size() < 4 || (delta.size() - 4) % Hash::kSize != 0) throw bad("wrong length");
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(delta[i])); };
  size_t removed_count = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  size_t total = (delta.size() - 4) / Hash::kSize;
  if (removed_count > total) throw bad("more removed hashes than it holds");
  std::vector<Hash> removed = unpack_hashes(delta.substr(4, removed_count * Hash::kSize));
  std::vector<Hash> added = unpack_hashes(delta.substr(4 + removed_count * Hash::kSize));
  std::vector<Hash> kept;
  kept.reserve(base.size());
  std::set_difference(base.begin(), base.end(), removed.begin(), removed.end(),
                      std::back_inserter(kept));
  if (kept.size() + removed.size() != base.size()) throw bad("it removes hashes the base lacks");
  std::vector<Hash> out;
  out.reserve(kept.size() + added.size());
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(out));
  return out;
}

std::vector<Hash> unpack_hashes(std::string_view bytes) {
  if (bytes.size() % Hash::kSize != 0) {
    throw Error(
        ErrorKind::kCorruption,
        "a root's node list is " + std::to_string(bytes.size()) + " bytes, not a multiple of 32",
        {}, "run `kix store verify`");
  }
  std::vector<Hash> out(bytes.size() / Hash::kSize);
  for (size_t i = 0; i < out.size(); ++i) out[i] = Hash::from_bytes(bytes.data() + i * Hash::kSize);
  return out;
}

// --- Opening ------------------------------------------------------------------

Store::Store(std::filesystem::path dir, sqlite::Database db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

Store Store::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(ErrorKind::kIo,
                "cannot create the store directory " + dir.string() + ": " + ec.message(), {},
                "choose another directory with --store DIR or KIX_STORE");
  }
  Store store(dir, sqlite::Database(dir / "store.db"));
  store.initialize_schema();
  return store;
}

void Store::initialize_schema() {
  // WAL: readers never block the writer and the writer never blocks
  // readers. synchronous=NORMAL is durable against a crashed process (the
  // guarantee kix makes); a power loss may drop the last commits but never
  // corrupts the database.
  sqlite::exec_with_retry(db_, "PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  // Read through a memory map: loading a root of 10,000 nodes or a few
  // hundred blobs then costs page faults, not a read() per page.
  db_.exec("PRAGMA mmap_size=1073741824");

  if (!table_exists(db_, "schema_version")) {
    Transaction t(db_, Transaction::Mode::kWrite);
    // Another process may have created it while this one waited.
    if (!table_exists(db_, "schema_version")) {
      auto any = db_.prepare("SELECT count(*) FROM sqlite_master");
      any.step();
      if (any.column_int(0) != 0) {
        throw Error(ErrorKind::kCorruption,
                    database_file().string() + " is a SQLite database but not a kix store", {},
                    "point --store at an empty or kix-created directory");
      }
      db_.exec(schema_sql());
    }
    t.commit();
  }
  auto s = db_.prepare("SELECT version FROM schema_version");
  int64_t version = s.step() ? s.column_int(0) : 0;
  if (version != kSchemaVersion) {
    throw Error(version > kSchemaVersion ? ErrorKind::kConflict : ErrorKind::kCorruption,
                "the store " + dir_.string() + " has schema version " + std::to_string(version) +
                    "; this kix reads version " + std::to_string(kSchemaVersion),
                {},
                version > kSchemaVersion ? "use a newer kix for this store"
                                         : "the store is damaged; restore it from a backup");
  }
}

// --- Adding -------------------------------------------------------------------

namespace {

// Inside the write transaction. A blob judged present earlier is checked
// again: a gc may have deleted it in between, and then it is written now.
void insert_blobs(sqlite::Database& db, ZstdCodec& codec, PreparedAdd& prepared,
                  AddResult& result) {
  int64_t new_dictionary = 0;
  if (!prepared.new_dictionary.empty()) {
    auto insert = db.prepare("INSERT INTO dictionaries (data) VALUES (?)");
    insert.bind_blob(1, prepared.new_dictionary);
    insert.run();
    auto id = db.prepare("SELECT max(id) FROM dictionaries");
    id.step();
    new_dictionary = id.column_int(0);
  }
  auto exists = db.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  auto insert =
      db.prepare("INSERT OR IGNORE INTO blobs (hash, raw_size, data, dict) VALUES (?, ?, ?, ?)");
  for (auto& blob : prepared.blobs) {
    const Manifest& m = prepared.graph->manifests[blob.manifest];
    if (blob.compressed.empty()) {
      exists.bind(1, blob.hash);
      bool stored = exists.step();
      exists.reset();
      if (stored) {
        ++result.reused_blobs;
        continue;
      }
      blob.compressed = codec.compress(m.canonical);
      blob.dictionary = 0;
    }
    insert.bind(1, blob.hash)
        .bind(2, static_cast<int64_t>(m.canonical.size()))
        .bind_blob(3, blob.compressed)
        .bind(4, blob.dictionary == PreparedAdd::kNewDictionary ? new_dictionary : blob.dictionary);
    insert.run();
    if (db.changes() == 1) {
      ++result.new_blobs;
      result.written_bytes += blob.compressed.size();
    } else {
      ++result.reused_blobs;  // another writer stored it first
    }
  }
}

void insert_nodes_and_refs(sqlite::Database& db, const Graph& graph, AddResult& result) {
  auto insert_node = db.prepare(
      "INSERT OR IGNORE INTO nodes (hash, blob, api_version, kind, namespace, name) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  auto insert_ref = db.prepare("INSERT OR IGNORE INTO refs (src, dst, reason) VALUES (?, ?, ?)");
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    const Manifest& m = graph.manifests[i];
    insert_node.bind(1, graph.nodes[i])
        .bind(2, m.blob)
        .bind(3, m.id.api_version)
        .bind(4, m.id.kind)
        .bind(5, m.id.ns)
        .bind(6, m.id.name);
    insert_node.run();
    if (db.changes() == 1) ++result.new_nodes;
    for (size_t k = 0; k < graph.refs[i].size(); ++k) {
      const std::string& reason = k < graph.ref_reasons[i].size() ? graph.ref_reasons[i][k] : "";
      insert_ref.bind(1, graph.nodes[i]).bind(2, graph.nodes[graph.refs[i][k]]).bind(3, reason);
      insert_ref.run();
    }
  }
}

// A root is stored as a delta against `base` (the cluster's previous
// generation) when that is much smaller than the full list and the chain
// of deltas to read stays short.
constexpr int kMaxDeltaChain = 16;

void insert_root(sqlite::Database& db, const Hash& root, const std::string& cluster,
                 std::vector<Hash> nodes, const std::optional<StoredRoot>& base, int base_depth) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  auto insert = db.prepare(
      "INSERT OR IGNORE INTO roots (hash, cluster, count, nodes, base) VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, root).bind(2, cluster).bind(3, static_cast<int64_t>(nodes.size()));
  std::string delta;
  if (base && base->hash != root && base_depth < kMaxDeltaChain) {
    delta = pack_delta(base->nodes, nodes);
  }
  if (!delta.empty() && delta.size() < nodes.size() * Hash::kSize / 4) {
    insert.bind_blob(4, delta).bind(5, base->hash);
  } else {
    insert.bind_blob(4, pack_hashes(nodes)).bind_null(5);
  }
  insert.run();
}

// Appends generation max+1 of g.cluster (inside a write transaction, so
// two writers can never take the same number) and sets g.number.
void insert_generation(sqlite::Database& db, Generation& g) {
  auto next = db.prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM generations WHERE cluster = ?");
  next.bind(1, g.cluster);
  next.step();
  g.number = next.column_int(0);
  auto insert = db.prepare(
      "INSERT INTO generations (cluster, number, root, time, message, source_revision) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, g.cluster)
      .bind(2, g.number)
      .bind(3, g.root)
      .bind(4, g.time)
      .bind(5, g.message)
      .bind(6, g.source_revision);
  insert.run();
}

}  // namespace

AddResult Store::add(const Graph& graph, const AddOptions& options) {
  PreparedAdd prepared = prepare_add(graph, options);
  return commit_add(prepared);
}

// Compression happens here, before the write lock, so that concurrent
// writers wait only for each other's inserts.
PreparedAdd Store::prepare_add(const Graph& graph, const AddOptions& options) {
  if (options.cluster) check_cluster_name(*options.cluster);
  PreparedAdd prepared{&graph, options, {}, {}};
  std::unordered_set<Hash, HashHasher> seen;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (seen.insert(graph.manifests[i].blob).second) {
      prepared.blobs.push_back(PreparedAdd::Blob{graph.manifests[i].blob, i, {}, 0});
    }
  }
  Transaction t(db_, Transaction::Mode::kRead);
  auto exists = db_.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  std::vector<PreparedAdd::Blob*> missing;
  std::vector<std::string_view> missing_raw;
  for (auto& blob : prepared.blobs) {
    exists.bind(1, blob.hash);
    if (!exists.step()) {
      missing.push_back(&blob);
      missing_raw.push_back(graph.manifests[blob.manifest].canonical);
    }
    exists.reset();
  }
  if (missing.empty()) return prepared;
  int64_t dictionary_id = 0;
  const ZstdDictionary* dictionary = dictionary_for_new_blobs(prepared, missing_raw, dictionary_id);
  for (PreparedAdd::Blob* blob : missing) {
    const std::string& raw = graph.manifests[blob->manifest].canonical;
    blob->compressed = dictionary ? codec_.compress(raw, *dictionary) : codec_.compress(raw);
    blob->dictionary = dictionary_id;
  }
  return prepared;
}

namespace {

// Training needs a few hundred samples to find what manifests share; a
// store smaller than this compresses each blob on its own.
constexpr size_t kMinTrainingBlobs = 400;
// zstd's default dictionary size; stored once, it costs nothing next to
// the ~4 KB it saves per hundred blobs.
constexpr size_t kDictionaryCapacity = 112640;
// Training time grows with the sample; a few MB spread over the whole
// input captures the shared structure (kinds, labels, probes) as well.
constexpr size_t kMaxTrainingBytes = 4u << 20;

}  // namespace

const ZstdDictionary* Store::dictionary_for_new_blobs(PreparedAdd& prepared,
                                                      const std::vector<std::string_view>& fresh,
                                                      int64_t& id) {
  auto latest = db_.prepare("SELECT max(id) FROM dictionaries");
  latest.step();
  if (!latest.column_is_null(0)) {
    id = latest.column_int(0);
    return dictionary(id);
  }
  // No dictionary yet: train one on the new manifests, plus the stored
  // ones (all compressed without a dictionary) when those are too few.
  std::vector<std::string_view> samples;
  std::vector<std::string> stored;
  auto count = db_.prepare("SELECT count(*) FROM blobs");
  count.step();
  size_t available = fresh.size() + static_cast<size_t>(count.column_int(0));
  if (available < kMinTrainingBlobs) return nullptr;
  size_t total = 0;
  for (std::string_view raw : fresh) total += raw.size();
  // Every k-th manifest, so that the sample spans the whole input.
  size_t stride = std::max<size_t>(1, total / kMaxTrainingBytes + 1);
  size_t bytes = 0;
  for (size_t i = 0; i < fresh.size(); i += stride) {
    samples.push_back(fresh[i]);
    bytes += samples.back().size();
  }
  if (samples.size() < kMinTrainingBlobs) {
    auto rows = db_.prepare("SELECT hash, raw_size, data, dict FROM blobs LIMIT ?");
    rows.bind(1, static_cast<int64_t>(kMinTrainingBlobs * 4));
    while (rows.step() && bytes < kMaxTrainingBytes) {
      // A damaged stored blob is verify's business, not a reason to fail
      // this add: it is simply not a sample.
      try {
        stored.push_back(decompress_blob(rows.column_hash(0), rows.column_blob(2),
                                         static_cast<size_t>(rows.column_int(1)),
                                         rows.column_int(3)));
        bytes += stored.back().size();
      } catch (const Error&) {
      }
    }
    for (const auto& s : stored) samples.push_back(s);
  }
  std::optional<std::string> trained = ZstdDictionary::train(samples, kDictionaryCapacity);
  if (!trained) return nullptr;
  auto digested = std::make_unique<ZstdDictionary>(*trained);
  prepared.new_dictionary = std::move(*trained);
  id = PreparedAdd::kNewDictionary;
  // Kept under the sentinel only for this add; commit_add gives it its id.
  dictionaries_[PreparedAdd::kNewDictionary] = std::move(digested);
  return dictionaries_[PreparedAdd::kNewDictionary].get();
}

const ZstdDictionary* Store::dictionary(int64_t id) {
  if (id == 0) return nullptr;
  auto it = dictionaries_.find(id);
  if (it != dictionaries_.end()) return it->second.get();
  auto s = db_.prepare("SELECT data FROM dictionaries WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) {
    throw Error(ErrorKind::kCorruption,
                "zstd dictionary " + std::to_string(id) + " is not in the store", {},
                "run `kix store verify` to see which blobs it affects");
  }
  auto loaded = std::make_unique<ZstdDictionary>(std::string(s.column_blob(0)));
  return dictionaries_.emplace(id, std::move(loaded)).first->second.get();
}

std::string Store::decompress_blob(const Hash& blob, std::string_view data, size_t raw_size,
                                   int64_t dictionary_id) {
  const ZstdDictionary* dict = nullptr;
  try {
    dict = dictionary(dictionary_id);
  } catch (const Error& e) {
    throw Error(ErrorKind::kCorruption, "blob " + blob.hex() + " is corrupt: " + e.message(), {},
                e.hint());
  }
  return codec_.decompress(data, raw_size, blob.hex(), dict);
}

AddResult Store::commit_add(PreparedAdd& prepared) {
  const Graph& graph = *prepared.graph;
  const AddOptions& options = prepared.options;
  const std::string cluster = options.cluster.value_or("");
  AddResult result;
  result.root = graph.root(cluster);
  result.resources = graph.manifests.size();
  for (const Manifest& m : graph.manifests) result.raw_bytes += m.canonical.size();

  Transaction t(db_, Transaction::Mode::kWrite);
  insert_blobs(db_, codec_, prepared, result);
  insert_nodes_and_refs(db_, graph, result);
  std::optional<StoredRoot> base;
  int base_depth = 0;
  if (options.cluster) {
    if (auto previous = current_generation(cluster)) base = load_root(previous->root, &base_depth);
  }
  insert_root(db_, result.root, cluster, graph.nodes, base, base_depth);
  if (options.cluster) {
    Generation g{cluster, 0, result.root, options.time, options.message, options.source_revision};
    insert_generation(db_, g);
    result.generation = g.number;
  }
  t.commit();
  // A dictionary this add trained now has its real id; load it by that.
  dictionaries_.erase(PreparedAdd::kNewDictionary);
  return result;
}

Generation Store::append_generation(const std::string& cluster, const Hash& root,
                                    const std::string& message, const std::string& source_revision,
                                    int64_t time) {
  check_cluster_name(cluster);
  Transaction t(db_, Transaction::Mode::kWrite);
  if (!find_root(root)) {
    throw Error(ErrorKind::kNotFound, "no root " + root.hex() + " in the store");
  }
  Generation g{cluster, 0, root, time, message, source_revision};
  insert_generation(db_, g);
  t.commit();
  return g;
}

// --- Reading ------------------------------------------------------------------

std::optional<StoredRoot> Store::find_root(const Hash& hash) {
  return load_root(hash, nullptr);
}

// Follows the chain of bases down to a full list, then applies the deltas
// back up. A chain longer than any kix writes is a cycle or damage.
std::optional<StoredRoot> Store::load_root(const Hash& hash, int* depth) {
  auto s = db_.prepare("SELECT cluster, nodes, base FROM roots WHERE hash = ?");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  StoredRoot root{hash, s.column_text(0), {}};
  std::vector<std::string> deltas;
  Hash at = hash;
  while (!s.column_is_null(2)) {
    if (deltas.size() > 4 * static_cast<size_t>(kMaxDeltaChain)) {
      throw Error(ErrorKind::kCorruption,
                  "root " + hash.hex() + " is a chain of more than " +
                      std::to_string(deltas.size()) + " deltas",
                  {}, "run `kix store verify`");
    }
    deltas.emplace_back(s.column_blob(1));
    Hash base = s.column_hash(2);
    s.reset();
    s.bind(1, base);
    if (!s.step()) {
      throw Error(ErrorKind::kCorruption,
                  "root " + at.hex() + " is stored as a delta against root " + base.hex() +
                      ", which is missing",
                  {}, "run `kix store verify` to see what it affects");
    }
    at = base;
  }
  root.nodes = unpack_hashes(s.column_blob(1));
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it) {
    root.nodes = apply_delta(root.nodes, *it);
  }
  if (depth != nullptr) *depth = static_cast<int>(deltas.size());
  return root;
}

void Store::store_roots_in_full(const std::vector<Hash>& bases) {
  std::unordered_set<Hash, HashHasher> dying(bases.begin(), bases.end());
  auto dependents = db_.prepare("SELECT hash, base FROM roots WHERE base IS NOT NULL");
  std::vector<Hash> rewrite;
  while (dependents.step()) {
    if (dying.count(dependents.column_hash(1)) && !dying.count(dependents.column_hash(0))) {
      rewrite.push_back(dependents.column_hash(0));
    }
  }
  auto update = db_.prepare("UPDATE roots SET nodes = ?, base = NULL WHERE hash = ?");
  for (const Hash& h : rewrite) {
    std::optional<StoredRoot> root = load_root(h, nullptr);
    update.bind_blob(1, pack_hashes(root->nodes)).bind(2, h);
    update.run();
  }
}

std::optional<StoredNode> Store::find_node(const Hash& hash) {
  auto s = db_.prepare("SELECT blob, api_version, kind, namespace, name FROM nodes WHERE hash = ?");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return StoredNode{hash, s.column_hash(0), read_identity(s, 1)};
}

std::vector<StoredNode> Store::load_nodes(const std::vector<Hash>& hashes) {
  auto s = db_.prepare("SELECT blob, api_version, kind, namespace, name FROM nodes WHERE hash = ?");
  std::vector<StoredNode> out;
  out.reserve(hashes.size());
  for (const Hash& h : hashes) {
    s.bind(1, h);
    if (!s.step()) {
      throw Error(ErrorKind::kCorruption, "node " + h.hex() + " is listed but not stored", {},
                  "run `kix store verify` to see what it affects");
    }
    out.push_back(StoredNode{h, s.column_hash(0), read_identity(s, 1)});
    s.reset();
  }
  return out;
}

std::vector<StoredRef> Store::refs_from(const Hash& node) {
  auto s = db_.prepare("SELECT dst, reason FROM refs WHERE src = ? ORDER BY dst");
  s.bind(1, node);
  std::vector<StoredRef> out;
  while (s.step()) out.push_back(StoredRef{node, s.column_hash(0), s.column_text(1)});
  return out;
}

std::vector<StoredRef> Store::refs_to(const Hash& node) {
  auto s = db_.prepare("SELECT src, reason FROM refs WHERE dst = ? ORDER BY src");
  s.bind(1, node);
  std::vector<StoredRef> out;
  while (s.step()) out.push_back(StoredRef{s.column_hash(0), node, s.column_text(1)});
  return out;
}

std::vector<Hash> Store::closure(const std::vector<Hash>& start) {
  auto s = db_.prepare("SELECT dst FROM refs WHERE src = ?");
  std::unordered_set<Hash, HashHasher> seen(start.begin(), start.end());
  std::vector<Hash> queue(seen.begin(), seen.end());
  while (!queue.empty()) {
    Hash h = queue.back();
    queue.pop_back();
    s.bind(1, h);
    while (s.step()) {
      Hash to = s.column_hash(0);
      if (seen.insert(to).second) queue.push_back(to);
    }
    s.reset();
  }
  std::vector<Hash> out(seen.begin(), seen.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool Store::has_blob(const Hash& blob) {
  auto s = db_.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  s.bind(1, blob);
  return s.step();
}

std::string Store::read_blob(const Hash& blob) {
  auto s = db_.prepare("SELECT raw_size, data, dict FROM blobs WHERE hash = ?");
  s.bind(1, blob);
  if (!s.step()) {
    throw Error(ErrorKind::kNotFound, "blob " + blob.hex() + " is not in the store", {},
                "run `kix store verify` to see what it affects");
  }
  std::string raw = decompress_blob(blob, s.column_blob(1), static_cast<size_t>(s.column_int(0)),
                                    s.column_int(2));
  if (Hash::of(raw) != blob) {
    throw Error(ErrorKind::kCorruption,
                "blob " + blob.hex() + " is corrupt: its content hashes to " + Hash::of(raw).hex(),
                {},
                "run `kix store verify` to see what it affects; `kix store verify --repair --from "
                "PATH` restores it from the original manifests");
  }
  return raw;
}

Json Store::read_manifest(const Hash& blob) {
  std::string raw = read_blob(blob);
  try {
    return Json::parse(raw);
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::kCorruption,
                "blob " + blob.hex() + " is not valid JSON: " + std::string(e.what()));
  }
}

std::vector<std::pair<Hash, ObjectKind>> Store::find_by_prefix(std::string_view hex_prefix,
                                                               size_t limit) {
  std::vector<std::pair<Hash, ObjectKind>> out;
  if (hex_prefix.size() > Hash::kHexSize) return out;
  auto low = Hash::from_hex(std::string(hex_prefix) +
                            std::string(Hash::kHexSize - hex_prefix.size(), '0'));
  auto high = Hash::from_hex(std::string(hex_prefix) +
                             std::string(Hash::kHexSize - hex_prefix.size(), 'f'));
  if (!low || !high) return out;
  for (auto [table, kind] :
       {std::pair{"roots", ObjectKind::kRoot}, std::pair{"nodes", ObjectKind::kNode}}) {
    auto s = db_.prepare(std::string("SELECT hash FROM ") + table +
                         " WHERE hash BETWEEN ? AND ? ORDER BY hash LIMIT ?");
    s.bind(1, *low).bind(2, *high).bind(3, static_cast<int64_t>(limit));
    while (s.step() && out.size() < limit) out.emplace_back(s.column_hash(0), kind);
  }
  return out;
}

std::vector<std::string> Store::clusters() {
  auto s = db_.prepare("SELECT DISTINCT cluster FROM generations ORDER BY cluster");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

std::vector<Generation> Store::generations(const std::string& cluster) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE cluster = ? ORDER BY number");
  s.bind(1, cluster);
  std::vector<Generation> out;
  while (s.step()) out.push_back(read_generation(s));
  return out;
}

std::optional<Generation> Store::generation(const std::string& cluster, int64_t number) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE cluster = ? AND number = ?");
  s.bind(1, cluster).bind(2, number);
  if (!s.step()) return std::nullopt;
  return read_generation(s);
}

std::optional<Generation> Store::current_generation(const std::string& cluster) {
  auto s = db_.prepare(std::string(kGenerationColumns) +
                       "WHERE cluster = ? ORDER BY number DESC LIMIT 1");
  s.bind(1, cluster);
  if (!s.step()) return std::nullopt;
  return read_generation(s);
}

std::vector<Generation> Store::generations_of_root(const Hash& root) {
  auto s = db_.prepare(std::string(kGenerationColumns) + "WHERE root = ? ORDER BY cluster, number");
  s.bind(1, root);
  std::vector<Generation> out;
  while (s.step()) out.push_back(read_generation(s));
  return out;
}

// --- Deployments --------------------------------------------------------------

namespace {

constexpr std::string_view kDeploymentColumns =
    "SELECT cluster, root, time, context, generation FROM deployments ";

Deployment read_deployment(const sqlite::Statement& s) {
  Deployment d{s.column_text(0), s.column_hash(1), s.column_int(2), s.column_text(3), {}};
  if (!s.column_is_null(4)) d.generation = s.column_int(4);
  return d;
}

}  // namespace

Deployment Store::record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                                    const std::string& context) {
  check_cluster_name(cluster);
  Transaction t(db_, Transaction::Mode::kWrite);
  if (!find_root(root)) {
    throw Error(ErrorKind::kNotFound, "no root " + root.hex() + " in the store", {},
                "add it first (kix store add --cluster " + cluster + ")");
  }
  Deployment d{cluster, root, time, context, {}};
  auto newest = db_.prepare("SELECT MAX(number) FROM generations WHERE cluster = ? AND root = ?");
  newest.bind(1, cluster).bind(2, root);
  if (newest.step() && !newest.column_is_null(0)) d.generation = newest.column_int(0);
  auto insert = db_.prepare(
      "INSERT INTO deployments (cluster, root, time, context, generation) VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, cluster).bind(2, root).bind(3, time).bind(4, context);
  if (d.generation) {
    insert.bind(5, *d.generation);
  } else {
    insert.bind_null(5);
  }
  insert.run();
  t.commit();
  return d;
}

std::optional<Deployment> Store::last_deployment(const std::string& cluster) {
  auto s =
      db_.prepare(std::string(kDeploymentColumns) + "WHERE cluster = ? ORDER BY id DESC LIMIT 1");
  s.bind(1, cluster);
  if (!s.step()) return std::nullopt;
  return read_deployment(s);
}

std::vector<Deployment> Store::deployments(const std::string& cluster) {
  auto s = db_.prepare(std::string(kDeploymentColumns) + "WHERE cluster = ? ORDER BY id");
  s.bind(1, cluster);
  std::vector<Deployment> out;
  while (s.step()) out.push_back(read_deployment(s));
  return out;
}

// --- Pins ---------------------------------------------------------------------

bool Store::pin(const Hash& hash, ObjectKind kind, int64_t time) {
  Transaction t(db_, Transaction::Mode::kWrite);
  bool exists =
      kind == ObjectKind::kRoot ? find_root(hash).has_value() : find_node(hash).has_value();
  if (!exists) {
    throw Error(ErrorKind::kNotFound,
                "no " + std::string(object_kind_name(kind)) + " " + hash.hex() + " in the store");
  }
  auto s = db_.prepare("INSERT OR IGNORE INTO pins (hash, kind, time) VALUES (?, ?, ?)");
  s.bind(1, hash).bind(2, object_kind_name(kind)).bind(3, time);
  s.run();
  bool added = db_.changes() == 1;
  t.commit();
  return added;
}

bool Store::unpin(const Hash& hash) {
  Transaction t(db_, Transaction::Mode::kWrite);
  auto s = db_.prepare("DELETE FROM pins WHERE hash = ?");
  s.bind(1, hash);
  s.run();
  bool removed = db_.changes() == 1;
  t.commit();
  return removed;
}

std::vector<Pin> Store::pins() {
  auto s = db_.prepare("SELECT hash, kind, time FROM pins ORDER BY hash");
  std::vector<Pin> out;
  while (s.step()) {
    out.push_back(Pin{s.column_hash(0),
                      s.column_text(1) == "node" ? ObjectKind::kNode : ObjectKind::kRoot,
                      s.column_int(2)});
  }
  return out;
}

}  // namespace kix
