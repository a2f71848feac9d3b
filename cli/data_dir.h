// Where kix's data is: the built-in package library (packages/) and the
// Kubernetes schemas (schema/). kix carries no path of the tree it was
// built from, so an installed kix works from any directory and a moved
// checkout is never read behind the user's back.
#pragma once

#include <filesystem>

#include "util/environment.h"

namespace kix::cli {

// $KIX_DATA_DIR when set; else the directory KIX_DATA_FROM_BIN names
// relative to the directory of the running executable (../share/kix, both
// in an installed prefix and in a build tree, where the build links
// share/kix/packages and share/kix/schema to the sources).
// Throws kix::Error(kNotFound) naming the directory it tried when that
// holds no packages/ directory.
std::filesystem::path data_dir(const Environment& env);

}  // namespace kix::cli
