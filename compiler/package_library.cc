#include "compiler/package_library.h"

#include <set>

namespace kix::compiler {

PackageLibrary::PackageLibrary(std::vector<std::filesystem::path> search_path)
    : search_path_(std::move(search_path)) {}

const Package* PackageLibrary::find(const std::string& name, Diagnostics& diags) {
  auto it = loaded_.find(name);
  if (it != loaded_.end()) return it->second.get();
  std::unique_ptr<Package> found;
  // A name with a path separator could escape the library directories.
  bool plain_name =
      !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
  for (const auto& dir : search_path_) {
    std::error_code ec;
    if (plain_name && std::filesystem::is_regular_file(dir / name / kPackageManifest, ec)) {
      found = std::make_unique<Package>(load_package(dir / name, diags));
      break;
    }
  }
  const Package* result = found.get();
  loaded_[name] = std::move(found);
  return result;
}

std::vector<std::string> PackageLibrary::names() const {
  std::set<std::string> names;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (std::filesystem::is_regular_file(it->path() / kPackageManifest, ec2)) {
        names.insert(it->path().filename().string());
      }
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace kix::compiler
