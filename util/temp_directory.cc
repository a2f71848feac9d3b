#include "util/temp_directory.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace kix {

TempDirectory::TempDirectory(const std::string& prefix, const std::filesystem::path& parent) {
  std::filesystem::path where = parent;
  if (where.empty()) {
    std::error_code ec;
    where = std::filesystem::temp_directory_path(ec);
    if (ec) {
      throw Error(ErrorKind::kIo, "no temporary directory: " + ec.message(), {},
                  "set TMPDIR to a directory that exists and can be written");
    }
  }
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
