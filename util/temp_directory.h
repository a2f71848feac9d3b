// A private temporary directory (mode 0700), removed with everything in it
// when the object goes away, unless it was released.
//
// Thread-safety: an object is used by one thread; different objects are
// independent.
#pragma once

#include <filesystem>
#include <string>

namespace kix {

class TempDirectory {
 public:
  // A new directory named `<prefix>XXXXXX` in `parent` (default: the
  // system's temporary directory, $TMPDIR). Throws kix::Error(kIo).
  explicit TempDirectory(const std::string& prefix = "kix-",
                         const std::filesystem::path& parent = {});
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kix
