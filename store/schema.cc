#include "store/schema.h"

namespace kix {

namespace {

// The text of store/schema.sql, embedded by store/CMakeLists.txt.
constexpr std::string_view kSchema =
#include "store/schema_sql.inc"
    ;

}  // namespace

std::string_view schema_sql() {
  return kSchema;
}

}  // namespace kix
