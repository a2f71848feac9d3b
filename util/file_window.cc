#include "util/file_window.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kix {

std::unique_ptr<FileWindow> FileWindow::open(const std::filesystem::path& file,
                                             size_t window_bytes) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  const std::optional<FileIdentity> identity =
      ::fstat(fd, &st) == 0 ? file_identity_of(st) : std::nullopt;
  if (!identity) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<FileWindow>(new FileWindow(
      file, fd, *identity, static_cast<uint64_t>(st.st_nlink), std::max<size_t>(window_bytes, 1)));
}

FileWindow::~FileWindow() {
  ::close(fd_);
}

bool FileWindow::unchanged() const {
  struct stat st {};
  const std::optional<FileIdentity> now =
      ::fstat(fd_, &st) == 0 ? file_identity_of(st) : std::nullopt;
  if (!now || now->size != identity_.size || now->mtime_ns != identity_.mtime_ns) return false;
  if (now->ctime_ns == identity_.ctime_ns) return true;
  // Renaming another file over this one (another add publishing its new
  // cache) moves this one's ctime without touching its content: locally
  // its link count drops; on NFS the client renames it aside instead. In
  // both cases its path no longer names it.
  if (static_cast<uint64_t>(st.st_nlink) != links_) return true;
  struct stat at_path {};
  if (::stat(path_.c_str(), &at_path) != 0) return errno == ENOENT;
  return static_cast<uint64_t>(at_path.st_dev) != identity_.device ||
         static_cast<uint64_t>(at_path.st_ino) != identity_.inode;
}

std::optional<std::string_view> FileWindow::read(uint64_t offset, uint64_t length) {
  if (offset > identity_.size || length > identity_.size - offset) {
    error_ = "a range past its end";
    return std::nullopt;
  }
  const uint64_t end = start_ + window_.size();
  if (offset >= start_ && offset + length <= end) {
    return std::string_view(window_).substr(offset - start_, length);
  }
  // Just past the window (or overlapping its end): the reader moves
  // forward, so a whole window is worth reading. Elsewhere only the range
  // asked for, so that lookups in any order do not each copy a window.
  constexpr uint64_t kPage = 4096;
  const bool forward = offset >= start_ && offset <= end + window_bytes_;
  uint64_t wanted = forward ? std::max<uint64_t>(length, window_bytes_)
                            : std::max<uint64_t>((length + kPage - 1) / kPage * kPage, kPage);
  wanted = std::min(wanted, identity_.size - offset);
  // One large record grew the window; the next ordinary read gives it back.
  if (window_.capacity() > 2 * window_bytes_ && wanted <= window_bytes_) release();
  window_.resize(wanted);
  start_ = offset;
  size_t done = 0;
  while (done < wanted) {
    const ssize_t n =
        ::pread(fd_, window_.data() + done, wanted - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && done >= length) {  // shorter than at open(), but long enough
      window_.resize(done);
      break;
    }
    if (n <= 0) {
      error_ = n < 0 ? std::strerror(errno) : "the file ended early";
      window_.clear();
      start_ = 0;
      return std::nullopt;
    }
    done += static_cast<size_t>(n);
  }
  return std::string_view(window_).substr(0, length);
}

}  // namespace kix
