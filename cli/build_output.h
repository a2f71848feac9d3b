// Writing a compiled build into a result directory: one YAML file per
// resource plus a `root` file with the root hash.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/merkle.h"

namespace kix::cli {

// "<namespace>_<kind>_<name>.yaml" ("_cluster" for cluster-scoped
// resources), one per manifest of `graph`, in the graph's order; names that
// clash get the node hash appended.
std::vector<std::string> result_file_names(const Graph& graph);

// Throws kConflict unless `dir` is missing, empty, or an earlier result
// (it has a `root` file): the user's own directories are never replaced.
void check_result_dir(const std::filesystem::path& dir);

// Replaces `dir` with the manifests of `graph` and a `root` file; throws
// kConflict when `dir` does not pass check_result_dir, kIo when it cannot be
// written. Written into a sibling temporary directory first, and the old
// result is renamed away only then, so `dir` is never a mix of the two
// (it is missing only between two renames).
void write_build_result(const std::filesystem::path& dir, const Graph& graph, const Hash& root);

}  // namespace kix::cli
