#include "util/file_window.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kix {

std::unique_ptr<FileWindow> FileWindow::open(const std::filesystem::path& file,
                                             size_t window_bytes) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<FileWindow>(
      new FileWindow(fd, static_cast<uint64_t>(st.st_size), std::max<size_t>(window_bytes, 1)));
}

FileWindow::~FileWindow() {
  ::close(fd_);
}

std::optional<std::string_view> FileWindow::read(uint64_t offset, uint64_t length) {
  if (offset > size_ || length > size_ - offset) return std::nullopt;
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
  wanted = std::min(wanted, size_ - offset);
  window_.resize(wanted);
  start_ = offset;
  size_t done = 0;
  while (done < wanted) {
    const ssize_t n =
        ::pread(fd_, window_.data() + done, wanted - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      window_.clear();
      start_ = 0;
      return std::nullopt;
    }
    done += static_cast<size_t>(n);
  }
  return std::string_view(window_).substr(0, length);
}

}  // namespace kix
