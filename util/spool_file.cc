#include "util/spool_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace kix {

namespace {

// Large enough that writes are few, small enough not to matter in memory.
constexpr size_t kBufferBytes = 1u << 20;

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
  buffer_.append(bytes);
  size_ += bytes.size();
  if (fd_ >= 0 && buffer_.size() >= kBufferBytes) flush();
  return at;
}

void SpoolFile::flush() const {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                         static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_io("cannot write a temporary file", n < 0 ? errno : ENOSPC);
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
}

std::string SpoolFile::read(uint64_t offset, uint64_t length) const {
  if (offset + length > size_) {
    throw Error(ErrorKind::kInternal, "read past the end of a temporary file");
  }
  if (offset >= written_) return buffer_.substr(offset - written_, length);
  flush();  // the range may reach into the buffer
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_io("cannot read back a temporary file", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return out;
}

void SpoolFile::copy_to(const std::function<void(std::string_view)>& sink) const {
  if (fd_ >= 0) {
    std::string chunk;
    for (uint64_t at = 0; at < written_;) {
      uint64_t n = std::min<uint64_t>(kBufferBytes, written_ - at);
      chunk = read(at, n);
      sink(chunk);
      at += n;
    }
  }
  if (!buffer_.empty()) sink(buffer_);
}

}  // namespace kix
