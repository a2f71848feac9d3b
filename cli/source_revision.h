// The source revision recorded with a generation when the user gives none:
// the git commit of the definition's work tree.
#pragma once

#include <string>

namespace kix::cli {

// "<sha>" of `git rev-parse HEAD` in the work tree holding `path` (a
// directory or a file), "<sha>+dirty" when tracked files under it have
// uncommitted changes, "" outside a git work tree or without git.
std::string git_revision(const std::string& path);

}  // namespace kix::cli
