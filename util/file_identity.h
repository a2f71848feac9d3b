// What identifies a file's content without reading it, as git's index
// and kix's stat cache use it: device, inode, size, mtime and ctime. Every
// write moves the ctime, which no tool can set back.
//
// Errors: the functions return nullopt for a file that cannot be stat'ed
// or is not a regular file (the caller reports why when it reads it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

struct stat;

namespace kix {

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const FileIdentity&) const = default;
};

// The identity of the file at `path` (following symbolic links), or
// nullopt when it cannot be stat'ed (the reader then reports why).
std::optional<FileIdentity> file_identity(const std::string& path);

// file_identity for many paths in a row, listed directory by directory: the
// directory of the previous path stays open, and a path in it is stat'ed
// relative to it (fstatat), so the kernel resolves one name instead of the
// whole path. Same answers as file_identity. Not thread-safe; owns one file
// descriptor at a time.
class FileIdentityReader {
 public:
  FileIdentityReader() = default;
  ~FileIdentityReader();
  FileIdentityReader(const FileIdentityReader&) = delete;
  FileIdentityReader& operator=(const FileIdentityReader&) = delete;

  std::optional<FileIdentity> identity(const std::string& path);

 private:
  std::string directory_;  // of the open descriptor, with its trailing '/'
  int fd_ = -1;
};

// The identity in `st` (from stat, fstat or fstatat); nullopt when it is
// not a regular file.
std::optional<FileIdentity> file_identity_of(const struct stat& st);

}  // namespace kix
