// A private temporary directory (mode 0700), removed with everything in it
// when the object goes away, unless it was released.
//
// Thread-safety: an object is used by one thread; different objects are
// independent.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace kix {

class TempDirectory {
 public:
  // A new directory named `<prefix>XXXXXX` in `parent` (default: the
  // system's temporary directory, $TMPDIR). Throws kix::Error(kIo).
  explicit TempDirectory(const std::string& prefix = "kix-",
                         const std::filesystem::path& parent = {});
  // The directory ".<target name>.<tag>-<pid>" beside `target`
  // (temporary_sibling in util/atomic_file.h), which remove_stale_siblings
  // removes once this process is gone: for work that a kill must not leave
  // behind for good; one of that name already there (left by a killed
  // process that had this one's number) is removed first. `tag` is
  // lowercase letters. Throws kix::Error(kIo).
  static std::unique_ptr<TempDirectory> beside(const std::filesystem::path& target,
                                               const std::string& tag);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Made {};  // by beside(): the directory exists already
  TempDirectory(Made, std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace kix
