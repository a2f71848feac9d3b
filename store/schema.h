// The SQL schema of the store database: the text of store/schema.sql,
// embedded into the library when the build is configured.
#pragma once

#include <string_view>

namespace kix {

// The version recorded in schema_version by schema_sql().
inline constexpr int kSchemaVersion = 1;

// Statements that create an empty store of version kSchemaVersion.
std::string_view schema_sql();

}  // namespace kix
