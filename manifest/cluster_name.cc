#include "manifest/cluster_name.h"

#include <cctype>

#include "util/error.h"
#include "util/hash.h"

namespace kix {

std::optional<std::string> cluster_name_problem(std::string_view name) {
  constexpr const char* kRule =
      "a cluster name starts with a letter or digit and contains only letters, digits, '-', '_' "
      "and '.' (at most 253 characters)";
  bool ok =
      !name.empty() && name.size() <= 253 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      ok = false;
    }
  }
  if (!ok) return std::string(kRule);
  if (looks_like_hash_prefix(name)) {
    return std::string(
               "a name of 8 or more hex digits only reads as a hash prefix wherever a REF is "
               "taken; "
               "add a letter that is not a-f, e.g. 'lab-") +
           std::string(name) + "'";
  }
  return std::nullopt;
}

void check_cluster_name(std::string_view name) {
  if (auto problem = cluster_name_problem(name)) {
    throw Error(ErrorKind::kInvalidInput, "invalid cluster name '" + std::string(name) + "'", {},
                *problem);
  }
}

}  // namespace kix
