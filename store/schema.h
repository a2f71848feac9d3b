// The SQL schema of the store database. store/schema.sql is the source;
// store/schema.cc holds the same text as a string literal (a unit test
// checks that the two are identical).
#pragma once

#include <string_view>

namespace kix {

// The version recorded in schema_version by schema_sql().
inline constexpr int kSchemaVersion = 1;

// Statements that create an empty store of version kSchemaVersion.
std::string_view schema_sql();

}  // namespace kix
