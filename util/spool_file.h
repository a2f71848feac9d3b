// A scratch file for bytes a process writes once and reads back later,
// so that large intermediate data does not have to stay in memory: an
// ingest's canonical manifests, a large add's compressed blobs, the stat
// cache's new entries.
//
// The file is created in a directory (normally $TMPDIR) and unlinked at
// once, so nothing is left behind however the process ends. Appends are
// buffered and written in large writes; read() and copy_to() see every
// byte appended so far. When the file cannot be created (a read-only or
// missing TMPDIR) or written (a full disk), the spool keeps its bytes in
// memory from then on and says so through fallback_reason(): the caller's
// work still succeeds, only its memory is not bounded.
//
// Errors: read() and copy_to() throw kix::Error(kIo) when the file cannot
// be read back, kInternal for a range never appended.
// Thread-safety: one object per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace kix {

class SpoolFile {
 public:
  // Creates the unlinked file in `dir`; empty: $TMPDIR, else /tmp.
  explicit SpoolFile(const std::filesystem::path& dir = {});
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  // Appends `bytes`; returns the offset they start at.
  uint64_t append(std::string_view bytes);
  // The `length` bytes at `offset`, which must have been appended.
  std::string read(uint64_t offset, uint64_t length) const;
  // Hands every byte appended so far to `sink`, in order, in chunks.
  void copy_to(const std::function<void(std::string_view)>& sink) const;

  uint64_t size() const { return size_; }
  // Empty when the bytes go to a file; else why they stay in memory.
  const std::string& fallback_reason() const { return fallback_reason_; }

  // The directory a spool is created in by default: $TMPDIR, else /tmp.
  static std::filesystem::path default_directory();

 private:
  void flush();  // writes the buffer out; on failure, stops using the file
  void read_file(uint64_t offset, char* out, uint64_t length) const;

  int fd_ = -1;
  std::string buffer_;    // bytes [written_, size_): not yet written, or not writable
  uint64_t written_ = 0;  // bytes [0, written_) are in the file
  uint64_t size_ = 0;
  std::string fallback_reason_;
};

// Reads a spool's records back in increasing order of offset, a window of
// bytes at a time: many small reads in a row cost one read(2) per window
// instead of one each. Any order works; a read outside the window moves it.
// Errors as SpoolFile::read. Thread-safety: one object per thread; the
// spool must outlive it.
class SpoolWindow {
 public:
  explicit SpoolWindow(const SpoolFile& spool, size_t window_bytes = 256u << 10)
      : spool_(spool), window_bytes_(window_bytes) {}

  // The `length` bytes at `offset`; valid until the next call.
  std::string_view read(uint64_t offset, uint64_t length);

 private:
  const SpoolFile& spool_;
  size_t window_bytes_;
  uint64_t start_ = 0;  // the offset of window_[0]
  std::string window_;
};

}  // namespace kix
