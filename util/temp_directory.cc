#include "util/temp_directory.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace kix {

TempDirectory::TempDirectory(const std::string& prefix, const std::filesystem::path& parent) {
  const std::filesystem::path where =
      parent.empty() ? std::filesystem::temp_directory_path() : parent;
  std::string pattern = (where / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ErrorKind::kIo, "cannot create a temporary directory in " + where.string() + ": " +
                                    std::strerror(errno));
  }
  path_ = pattern;
}

TempDirectory::~TempDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace kix
