#include "util/temp_directory.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/atomic_file.h"
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

std::unique_ptr<TempDirectory> TempDirectory::beside(const std::filesystem::path& target,
                                                     const std::string& tag) {
  const std::filesystem::path path = temporary_sibling(target, tag);
  // The name carries this process's number: one there was left by an
  // earlier process that had the same number (every run in a container
  // may be pid 1) and was killed.
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
  if (::mkdir(path.c_str(), 0700) != 0) throw io_error("cannot create the directory", path, errno);
  return std::unique_ptr<TempDirectory>(new TempDirectory(Made{}, path));
}

TempDirectory::~TempDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace kix
