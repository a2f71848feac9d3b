// Reads byte ranges of a file that does not change while it is open (one
// written elsewhere and renamed into place), a window of bytes at a time,
// so that a reader of a large file holds only the window and not the file.
//
// Reads that move forward through the file cost one pread(2) per window;
// a read elsewhere fetches only what it asks for (rounded up to a page),
// so looking records up in any order does not copy a window each time.
//
// Errors: open() returns nullptr when the file cannot be opened or is not
// a regular file; read() returns nullopt for a range past the end or one
// that cannot be read (the caller decides what that means). Owns its file
// descriptor. Thread-safety: one object per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kix {

class FileWindow {
 public:
  static std::unique_ptr<FileWindow> open(const std::filesystem::path& file,
                                          size_t window_bytes = 256u << 10);
  ~FileWindow();
  FileWindow(const FileWindow&) = delete;
  FileWindow& operator=(const FileWindow&) = delete;

  uint64_t size() const { return size_; }
  // The `length` bytes at `offset`; valid until the next call.
  std::optional<std::string_view> read(uint64_t offset, uint64_t length);
  // Frees the window (the next read fetches again).
  void release() { std::string().swap(window_); }

 private:
  FileWindow(int fd, uint64_t size, size_t window_bytes)
      : fd_(fd), size_(size), window_bytes_(window_bytes) {}

  int fd_;
  uint64_t size_;
  size_t window_bytes_;
  uint64_t start_ = 0;  // the offset of window_[0]
  std::string window_;
};

}  // namespace kix
