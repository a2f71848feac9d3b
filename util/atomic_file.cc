#include "util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace kix {

namespace fs = std::filesystem;

namespace {

// Closes the descriptor on every path out, including exceptions.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the error close() gives (NFS reports write
  // errors there); -1 when it failed, with errno set.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void create_and_sync(const fs::path& path, std::string_view bytes, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) throw io_error("cannot create", path, errno);
  write_all(fd.get(), bytes, path);
  if (::fsync(fd.get()) != 0) throw io_error("cannot write", path, errno);
  if (fd.close() != 0) throw io_error("cannot write", path, errno);
}

}  // namespace

Error io_error(std::string_view what, const fs::path& path, int err) {
  std::string hint;
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      hint = "the disk (or your quota) is full: free some space and run the command again";
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      hint = "check the permissions of " + path.parent_path().string() +
             ", or choose another location";
      break;
    case ENAMETOOLONG:
      hint = "the name is longer than the file system allows; choose a shorter path";
      break;
    default:
      hint = "check free space and permissions";
  }
  return Error(ErrorKind::kIo, std::string(what) + " " + path.string() + ": " + std::strerror(err),
               {}, hint);
}

void write_new_file(const fs::path& path, std::string_view bytes, mode_t mode) {
  create_and_sync(path, bytes, mode);
}

void sync_directory(const fs::path& dir) {
  const fs::path& target = dir.empty() ? fs::path(".") : dir;
  Fd fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw io_error("cannot open the directory", target, errno);
  // Some file systems cannot fsync a directory (EINVAL); their renames are
  // then as durable as they can make them.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    throw io_error("cannot sync the directory", target, errno);
  }
}

fs::path temporary_sibling(const fs::path& target, std::string_view tag) {
  fs::path clean = target.lexically_normal();
  if (clean.filename().empty()) clean = clean.parent_path();
  std::string name =
      "." + clean.filename().string() + "." + std::string(tag) + "-" + std::to_string(::getpid());
  return clean.parent_path() / name;
}

void write_file_atomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  fs::path tmp = temporary_sibling(path, "tmp");
  ::unlink(tmp.c_str());  // a leftover of a killed process with our pid
  try {
    create_and_sync(tmp, bytes, mode);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw io_error("cannot replace", path, errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  sync_directory(path.parent_path());
}

bool process_is_running(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

size_t remove_stale_siblings(const fs::path& target, std::string_view only_tag) {
  fs::path clean = target.lexically_normal();
  if (clean.filename().empty()) clean = clean.parent_path();
  const std::string prefix = "." + clean.filename().string() + ".";
  fs::path parent = clean.parent_path().empty() ? fs::path(".") : clean.parent_path();
  std::error_code ec;
  size_t removed = 0;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    // ".<target>.<tag>-<pid>": the tag is letters, the pid digits.
    std::string_view rest = std::string_view(name).substr(prefix.size());
    size_t dash = rest.rfind('-');
    if (dash == std::string_view::npos || dash == 0) continue;
    std::string_view tag = rest.substr(0, dash);
    std::string_view digits = rest.substr(dash + 1);
    bool letters = std::all_of(tag.begin(), tag.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    pid_t pid = 0;
    auto [end_ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (!letters || err != std::errc() || end_ptr != digits.data() + digits.size()) continue;
    if (!only_tag.empty() && tag != only_tag) continue;
    if (process_is_running(pid)) continue;
    std::error_code remove_ec;
    if (fs::remove_all(it->path(), remove_ec) > 0 && !remove_ec) ++removed;
  }
  return removed;
}

}  // namespace kix
