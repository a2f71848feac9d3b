#include "store/store.h"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "store/error.h"
#include "store/schema.h"

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
  auto exists = db.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  auto insert = db.prepare("INSERT OR IGNORE INTO blobs (hash, raw_size, data) VALUES (?, ?, ?)");
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
    }
    insert.bind(1, blob.hash)
        .bind(2, static_cast<int64_t>(m.canonical.size()))
        .bind_blob(3, blob.compressed);
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

void insert_root(sqlite::Database& db, const Hash& root, const std::string& cluster,
                 std::vector<Hash> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  auto insert =
      db.prepare("INSERT OR IGNORE INTO roots (hash, cluster, count, nodes) VALUES (?, ?, ?, ?)");
  insert.bind(1, root)
      .bind(2, cluster)
      .bind(3, static_cast<int64_t>(nodes.size()))
      .bind_blob(4, pack_hashes(nodes));
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
  PreparedAdd prepared{&graph, options, {}};
  std::unordered_set<Hash, HashHasher> seen;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (seen.insert(graph.manifests[i].blob).second) {
      prepared.blobs.push_back(PreparedAdd::Blob{graph.manifests[i].blob, i, {}});
    }
  }
  Transaction t(db_, Transaction::Mode::kRead);
  auto exists = db_.prepare("SELECT 1 FROM blobs WHERE hash = ?");
  for (auto& blob : prepared.blobs) {
    exists.bind(1, blob.hash);
    bool stored = exists.step();
    exists.reset();
    if (!stored) blob.compressed = codec_.compress(graph.manifests[blob.manifest].canonical);
  }
  return prepared;
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
  insert_root(db_, result.root, cluster, graph.nodes);
  if (options.cluster) {
    Generation g{cluster, 0, result.root, options.time, options.message, options.source_revision};
    insert_generation(db_, g);
    result.generation = g.number;
  }
  t.commit();
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
  auto s = db_.prepare("SELECT cluster, nodes FROM roots WHERE hash = ?");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return StoredRoot{hash, s.column_text(0), unpack_hashes(s.column_blob(1))};
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
  auto s = db_.prepare("SELECT raw_size, data FROM blobs WHERE hash = ?");
  s.bind(1, blob);
  if (!s.step()) {
    throw Error(ErrorKind::kNotFound, "blob " + blob.hex() + " is not in the store", {},
                "run `kix store verify` to see what it affects");
  }
  std::string raw =
      codec_.decompress(s.column_blob(1), static_cast<size_t>(s.column_int(0)), blob.hex());
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
