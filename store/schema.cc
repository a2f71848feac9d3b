#include "store/schema.h"

namespace kix {

namespace {

// The text of store/schema.sql, embedded by CMakeLists.txt.
constexpr std::string_view kSchema =
#include "store/schema_sql.inc"
    ;

}  // namespace

std::string_view schema_sql() {
  return kSchema;
}

const std::vector<SchemaUpgrade>& schema_upgrades() {
  // Each step must leave the store exactly as schema.sql of its target
  // version creates it; tests/unit/store_upgrade_test.cc opens a kept
  // store of every older version and compares.
  static const std::vector<SchemaUpgrade> steps = {
      // 1 -> 2: the application id, so a foreign SQLite file is never taken
      // for a store.
      {1,
       "PRAGMA application_id = 1802074227;\n"
       "UPDATE schema_version SET version = 2;\n"},
      // 2 -> 3: Secrets are sealed; the ones stored in plaintext are sealed
      // now, keeping their hashes (legacy = 1).
      {2,
       "CREATE TABLE secrets (\n"
       "  blob   BLOB PRIMARY KEY,\n"
       "  key_id TEXT NOT NULL,\n"
       "  sealed BLOB NOT NULL,\n"
       "  legacy INTEGER NOT NULL DEFAULT 0\n"
       ");\n"
       "UPDATE schema_version SET version = 3;\n",
       true},
      // 3 -> 4: sources (Helm chart archives) kept by their SHA-256, and
      // which roots used them.
      {3,
       "CREATE TABLE sources (\n"
       "  hash BLOB PRIMARY KEY,\n"
       "  kind TEXT NOT NULL,\n"
       "  name TEXT NOT NULL,\n"
       "  data BLOB NOT NULL\n"
       ");\n"
       "CREATE TABLE root_sources (\n"
       "  root   BLOB NOT NULL,\n"
       "  source BLOB NOT NULL,\n"
       "  PRIMARY KEY (root, source)\n"
       ") WITHOUT ROWID;\n"
       "CREATE INDEX root_sources_by_source ON root_sources (source);\n"
       "UPDATE schema_version SET version = 4;\n"},
      // 4 -> 5: deployments that stopped part-way. Every earlier record was
      // of a complete deploy (kix recorded nothing else).
      {4,
       "CREATE TABLE partial_deployments (\n"
       "  id            INTEGER PRIMARY KEY,  -- deployments.id\n"
       "  waves_applied INTEGER NOT NULL,\n"
       "  waves_total   INTEGER NOT NULL\n"
       ");\n"
       "UPDATE schema_version SET version = 5;\n"},
      // 5 -> 6: nodes get an integer id, references name nodes and
      // reasons by number (refs were two 32-byte hashes and a text each,
      // plus an index of the same), and nodes_by_blob, which no query
      // used, is gone. Ids are handed out in hash order. A reference to a
      // node the store lacks (damage verify reports) cannot be numbered
      // and is dropped; the node that had it then fails verify's hash check.
      {5,
       "DROP INDEX nodes_by_blob;\n"
       "DROP INDEX refs_by_dst;\n"
       "ALTER TABLE nodes RENAME TO nodes_v5;\n"
       "ALTER TABLE refs RENAME TO refs_v5;\n"
       "CREATE TABLE nodes (\n"
       "  id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
       "  hash        BLOB NOT NULL UNIQUE,\n"
       "  blob        BLOB NOT NULL,\n"
       "  api_version TEXT NOT NULL,\n"
       "  kind        TEXT NOT NULL,\n"
       "  namespace   TEXT NOT NULL,  -- '' for cluster-scoped resources\n"
       "  name        TEXT NOT NULL\n"
       ");\n"
       "CREATE TABLE reasons (\n"
       "  id     INTEGER PRIMARY KEY,\n"
       "  reason TEXT NOT NULL UNIQUE\n"
       ");\n"
       "CREATE TABLE refs (\n"
       "  src    INTEGER NOT NULL,\n"
       "  dst    INTEGER NOT NULL,\n"
       "  reason INTEGER NOT NULL,\n"
       "  PRIMARY KEY (src, dst)\n"
       ") STRICT, WITHOUT ROWID;\n"
       "INSERT INTO nodes (hash, blob, api_version, kind, namespace, name)\n"
       "  SELECT hash, blob, api_version, kind, namespace, name FROM nodes_v5 ORDER BY hash;\n"
       "INSERT INTO reasons (reason) SELECT DISTINCT reason FROM refs_v5 ORDER BY reason;\n"
       "INSERT INTO refs (src, dst, reason)\n"
       "  SELECT s.id, d.id, r.id FROM refs_v5\n"
       "  JOIN nodes s ON s.hash = refs_v5.src\n"
       "  JOIN nodes d ON d.hash = refs_v5.dst\n"
       "  JOIN reasons r ON r.reason = refs_v5.reason;\n"
       "CREATE INDEX refs_by_dst ON refs (dst, src);\n"
       "DROP TABLE refs_v5;\n"
       "DROP TABLE nodes_v5;\n"
       "UPDATE schema_version SET version = 6;\n"},
  };
  return steps;
}

}  // namespace kix
