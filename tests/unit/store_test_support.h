// Helpers shared by the store's unit and property tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
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
