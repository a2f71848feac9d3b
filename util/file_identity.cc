#include "util/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace kix {

std::optional<FileIdentity> file_identity_of(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return file_identity_of(st);
}

FileIdentityReader::~FileIdentityReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<FileIdentity> FileIdentityReader::identity(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return file_identity(path);
  const std::string_view directory(path.data(), slash + 1);
  if (directory != directory_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    directory_.assign(directory);
    fd_ = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  // A directory that cannot be opened (no permission to read it, only to
  // search it) still has files that stat by path.
  if (fd_ < 0) return file_identity(path);
  struct stat st {};
  if (::fstatat(fd_, path.c_str() + slash + 1, &st, 0) != 0) return std::nullopt;
  return file_identity_of(st);
}

}  // namespace kix
