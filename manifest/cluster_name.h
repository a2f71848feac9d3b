// Cluster names: the name a root is hashed with and the name of a history
// of generations. They appear in REFs (NAME, NAME@N), in file names and in
// root hashes, so they are restricted to what a Kubernetes name or context
// name would use, and may not look like a hash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kix {

// What is wrong with `name` as a cluster name ("" is never valid), or
// nullopt when it is valid: a letter or digit first, then letters, digits,
// '-', '_' and '.', at most 253 characters, and not 8 or more hex digits
// only (REFs read those as a hash prefix).
std::optional<std::string> cluster_name_problem(std::string_view name);

// Throws kix::Error(kInvalidInput) naming the name and the rule it breaks.
void check_cluster_name(std::string_view name);

}  // namespace kix
