#include "util/spool_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace kix {

namespace {

// Large enough that writes are few (a 70 MB spool is under 300 of them),
// small enough not to matter in memory. The buffer is reserved once at
// twice this, so appends up to that size never grow it by doubling.
constexpr size_t kBufferBytes = 256u << 10;

[[noreturn]] void throw_io(const std::string& what, int err) {
  throw Error(ErrorKind::kIo, what + ": " + std::strerror(err), {},
              err == ENOSPC ? "free some space in $TMPDIR, or set TMPDIR to a directory with more"
                            : "set TMPDIR to a writable directory with free space");
}

}  // namespace

std::filesystem::path SpoolFile::default_directory() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

SpoolFile::SpoolFile(const std::filesystem::path& dir) {
  std::filesystem::path where = dir.empty() ? default_directory() : dir;
  std::string pattern = (where / "kix-spool-XXXXXX").string();
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd_ < 0) {
    fallback_reason_ =
        "cannot create a temporary file in " + where.string() + ": " + std::strerror(errno);
    return;
  }
  // Unlinked at once: the file lives exactly as long as the descriptor.
  ::unlink(pattern.c_str());
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t SpoolFile::append(std::string_view bytes) {
  uint64_t at = size_;
  if (buffer_.capacity() < 2 * kBufferBytes) buffer_.reserve(2 * kBufferBytes);
  buffer_.append(bytes);
  size_ += bytes.size();
  if (fd_ >= 0 && fallback_reason_.empty() && buffer_.size() >= kBufferBytes) flush();
  return at;
}

void SpoolFile::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                         static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A full disk: what was written stays readable there, and the rest
      // (what did not fit included) stays in memory, so the work goes on.
      fallback_reason_ =
          std::string("cannot write a temporary file: ") + std::strerror(n < 0 ? errno : ENOSPC);
      buffer_.erase(0, done);
      written_ += done;
      return;
    }
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
}

void SpoolFile::read_file(uint64_t offset, char* out, uint64_t length) const {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_io("cannot read back a temporary file", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
}

std::string SpoolFile::read(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) {
    throw Error(ErrorKind::kInternal, "read past the end of a temporary file");
  }
  std::string out(length, '\0');
  // [offset, written_) is in the file, the rest in the buffer.
  uint64_t from_file = offset < written_ ? std::min(length, written_ - offset) : 0;
  if (from_file > 0) read_file(offset, out.data(), from_file);
  if (from_file < length) {
    buffer_.copy(out.data() + from_file, length - from_file, offset + from_file - written_);
  }
  return out;
}

void SpoolFile::copy_to(const std::function<void(std::string_view)>& sink) const {
  std::string chunk;
  for (uint64_t at = 0; at < written_;) {
    uint64_t n = std::min<uint64_t>(kBufferBytes, written_ - at);
    chunk.resize(n);
    read_file(at, chunk.data(), n);
    sink(chunk);
    at += n;
  }
  if (!buffer_.empty()) sink(buffer_);
}

std::string_view SpoolWindow::read(uint64_t offset, uint64_t length) {
  if (offset < start_ || offset - start_ > window_.size() ||
      length > window_.size() - (offset - start_)) {
    if (offset > spool_.size()) {
      throw Error(ErrorKind::kInternal, "read past the end of a temporary file");
    }
    const uint64_t wanted = std::max<uint64_t>(length, window_bytes_);
    window_ = spool_.read(offset, std::min(wanted, spool_.size() - offset));
    start_ = offset;
    if (length > window_.size()) {
      throw Error(ErrorKind::kInternal, "read past the end of a temporary file");
    }
  }
  return std::string_view(window_).substr(offset - start_, length);
}

}  // namespace kix
