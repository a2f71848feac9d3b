// Reads byte ranges of a file that is not meant to change while it is
// open (one written elsewhere and renamed into place), a window of bytes
// at a time, so that a reader of a large file holds only the window and
// not the file.
//
// Reads that move forward through the file cost one pread(2) per window
// (256 KiB by default; a single read larger than that is fetched whole,
// and the window shrinks back afterwards); a read elsewhere fetches only
// what it asks for (rounded up to a page), so looking records up in any
// order does not copy a window each time.
//
// Nothing stops another program from writing the file in place (cp over
// it, rsync --inplace): a reader that must not mix two contents checks
// unchanged() after its reads.
//
// Errors: open() returns nullptr when the file cannot be opened or is not
// a regular file; read() returns nullopt for a range past the end (as of
// open()) or one that cannot be read, with error() saying why. Owns its
// file descriptor. Thread-safety: one object per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/file_identity.h"

namespace kix {

class FileWindow {
 public:
  static std::unique_ptr<FileWindow> open(const std::filesystem::path& file,
                                          size_t window_bytes = 256u << 10);
  ~FileWindow();
  FileWindow(const FileWindow&) = delete;
  FileWindow& operator=(const FileWindow&) = delete;

  uint64_t size() const { return identity_.size; }
  const std::filesystem::path& path() const { return path_; }
  // The `length` bytes at `offset`; valid until the next call.
  std::optional<std::string_view> read(uint64_t offset, uint64_t length);
  // Why the last read() that failed did: strerror of its errno, or "the
  // file ended early" when it was shorter than when it was opened.
  const std::string& error() const { return error_; }
  // True while the file's size and mtime are those it had when opened,
  // and its ctime too unless the file was replaced: a write in place
  // changes the ctime (to the timestamp tick: a write in the tick of the
  // file's last change before open() that keeps the size and sets the
  // mtime back goes unseen on coarse clocks), but so does the file being
  // renamed over by another (its link count drops, or, on NFS, it is
  // renamed aside), which leaves its content as it was; so a moved ctime
  // counts only while the path still names this file.
  bool unchanged() const;
  // Frees the window (the next read fetches again).
  void release() { std::string().swap(window_); }

 private:
  FileWindow(std::filesystem::path path, int fd, const FileIdentity& identity, uint64_t links,
             size_t window_bytes)
      : path_(std::move(path)),
        fd_(fd),
        identity_(identity),
        links_(links),
        window_bytes_(window_bytes) {}

  std::filesystem::path path_;
  int fd_;
  FileIdentity identity_;  // at open()
  uint64_t links_;         // at open()
  size_t window_bytes_;
  uint64_t start_ = 0;  // the offset of window_[0]
  std::string window_;
  std::string error_;
};

}  // namespace kix
