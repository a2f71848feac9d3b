// Helpers shared by the store's unit and property tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "manifest/secret_seal.h"
#include "store/sqlite.h"
#include "store/sqlite_store.h"
#include "tests/unit/temp_dir.h"

namespace kix::testing {

// A second connection to a SqliteStore's database, for tests that damage
// or inspect the tables behind the store's back.
inline sqlite::Database raw_database(const SqliteStore& store) {
  return sqlite::Database(store.database_file());
}

// Flips one bit of the byte 20 bytes before the end of the root page of
// the table or index `name` in the database `file`, where the key of its
// last cell is: damage that SQLite's integrity check finds. Returns false
// when there is no such table or index.
inline bool flip_page_byte(const std::filesystem::path& file, const std::string& name) {
  int64_t page = 0;
  int64_t page_size = 0;
  {
    sqlite::Database db(file);
    auto root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?");
    root.bind(1, name);
    if (!root.step()) return false;
    page = root.column_int(0);
    auto size = db.prepare("PRAGMA page_size");
    size.step();
    page_size = size.column_int(0);
  }
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const std::streamoff offset = (page - 1) * page_size + page_size - 20;
  f.seekg(offset);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x01;
  f.seekp(offset);
  f.write(&c, 1);
  return static_cast<bool>(f);
}

inline Json config_map(const std::string& name, const std::string& value,
                       const std::string& ns = "default") {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"data", {{"value", value}}}};
}

inline Json secret(const std::string& name, const std::string& password,
                   const std::string& ns = "default") {
  return Json{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"stringData", {{"password", password}}}};
}

// A Deployment that mounts the ConfigMap `config` (an inferred reference).
inline Json deployment(const std::string& name, const std::string& image, const std::string& config,
                       const std::string& ns = "default") {
  Json volume{{"name", "cfg"}, {"configMap", {{"name", config}}}};
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec",
                   {{"containers", Json::array({{{"name", name}, {"image", image}}})},
                    {"volumes", Json::array({volume})}}}}}}}};
}

// The secret key of the tests: fixed, so hashes are stable across runs.
inline const SecretKey& test_secret_key() {
  static const SecretKey key =
      SecretKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  return key;
}

// A keyring holding test_secret_key() (one per test that needs its own).
inline FixedKeyring test_keyring() {
  return FixedKeyring(test_secret_key());
}

// The manifests of `values` as a graph with inferred references, their
// Secrets sealed with test_secret_key().
inline Graph graph_of(const std::vector<Json>& values) {
  std::vector<Manifest> manifests;
  for (const auto& v : values)
    manifests.push_back(make_manifest(v, SourceLocation{"test.yaml", 1, 1}));
  FixedKeyring keys = test_keyring();
  return build_graph_inferred(std::move(manifests), &keys);
}

inline AddOptions in_cluster(const std::string& name, int64_t time = 1000) {
  AddOptions o;
  o.cluster = name;
  o.time = time;
  return o;
}

}  // namespace kix::testing
