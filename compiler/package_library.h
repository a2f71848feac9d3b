// Finding packages by name along a search path: the definition's
// packagePaths first, then KIX_PACKAGES_PATH, then the built-in library.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/package.h"

namespace kix::compiler {

class PackageLibrary {
 public:
  explicit PackageLibrary(std::vector<std::filesystem::path> search_path);

  // The package named `name` from the first directory of the search path
  // that has `<dir>/<name>/package.yaml`, loaded once; nullptr when none
  // has it. Throws kix::Error when the package's manifest is malformed.
  const Package* find(const std::string& name, Diagnostics& diags);

  // Names of every package on the search path, for "did you mean".
  std::vector<std::string> names() const;

  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }

 private:
  std::vector<std::filesystem::path> search_path_;
  std::map<std::string, std::unique_ptr<Package>> loaded_;  // nullptr: looked up, absent
};

}  // namespace kix::compiler
