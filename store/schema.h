// The SQL schema of the store database and how older stores are upgraded
// (docs/store.md, "Format versions").
//
// store/schema.sql creates a store of the current version; it is embedded
// into the library when the build is configured. A store of an older
// version is upgraded by running each step from its version up, in one
// write transaction.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kix {

// The version recorded in schema_version by schema_sql().
inline constexpr int kSchemaVersion = 6;
// SQLite's application id of a kix store: 'kixs'. Version 1 stores have 0.
inline constexpr int64_t kStoreApplicationId = 0x6B697873;

// Statements that create an empty store of version kSchemaVersion.
std::string_view schema_sql();

struct SchemaUpgrade {
  int from;              // the version it upgrades; it leaves from + 1
  std::string_view sql;  // statements, ending with the schema_version update
  // Whether the store must also rewrite data after the statements (2 -> 3:
  // sealing the Secrets kix 0.1.0 stored in plaintext; SqliteStore does it).
  bool seals_plaintext_secrets = false;
};

// Every upgrade step, oldest first: steps()[i].from == i + 1.
const std::vector<SchemaUpgrade>& schema_upgrades();

}  // namespace kix
