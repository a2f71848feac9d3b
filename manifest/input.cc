// Reading files and stdin within their budget (manifest/document.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "manifest/document.h"

namespace kix {

namespace {

constexpr size_t kChunk = 64 * 1024;

// Closes the descriptor it owns.
class InputFd {
 public:
  explicit InputFd(const std::string& path) {
    if (path == "-") {
      fd_ = STDIN_FILENO;
      return;
    }
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        throw Error(
            ErrorKind::kNotFound, "no such file or directory: " + path, {},
            "check the path; kix reads YAML or JSON files, directories of them, or - for stdin");
      }
      throw Error(ErrorKind::kIo, "cannot read " + path + ": " + std::strerror(err), {},
                  "check the file's permissions");
    }
    owned_ = true;
  }
  ~InputFd() {
    if (owned_) ::close(fd_);
  }
  InputFd(const InputFd&) = delete;
  InputFd& operator=(const InputFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
};

std::string display_name(const std::string& path) {
  return path == "-" ? "<stdin>" : path;
}

Error too_large(const std::string& name, size_t max_bytes) {
  return Error(ErrorKind::kInvalidInput,
               name + " is larger than " + std::to_string(max_bytes >> 20) + " MiB", {},
               "split the input into several files (docs/input.md lists the limits)");
}

// Appends up to `limit` bytes (in total, in `out`) read from `fd`; stops at
// the end of the input. Returns false when more than `limit` was there.
bool read_up_to(int fd, const std::string& name, std::string& out, size_t limit,
                size_t stop_after = SIZE_MAX) {
  char buffer[kChunk];
  while (out.size() < stop_after) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error(ErrorKind::kIo, "cannot read " + name + ": " + std::strerror(errno), {},
                  "check the file and its permissions");
    }
    if (n == 0) return true;
    if (out.size() + static_cast<size_t>(n) > limit) return false;
    out.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The first character after a byte order mark and white space, or 0.
char first_significant(std::string_view text) {
  size_t i = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  return i < text.size() ? text[i] : 0;
}

}  // namespace

std::string read_input(const std::string& path, size_t max_bytes) {
  InputFd fd(path);
  const std::string name = display_name(path);
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uintmax_t>(st.st_size) > max_bytes) {
    throw too_large(name, max_bytes);
  }
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInvalidInput, name + " is a directory", {}, "name a file");
  }
  std::string out;
  if (!read_up_to(fd.get(), name, out, max_bytes)) throw too_large(name, max_bytes);
  return out;
}

std::vector<Document> parse_input(const std::string& path, Diagnostics& diags,
                                  const ParseOptions& options) {
  const std::string name = display_name(path);
  const size_t limit = options.limits.max_input_bytes;
  InputFd fd(path);
  struct stat st {};
  bool regular = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInvalidInput, name + " is a directory", {}, "name a file");
  }
  if (regular) {
    if (static_cast<uintmax_t>(st.st_size) > limit) throw too_large(name, limit);
    std::string text;
    if (!read_up_to(fd.get(), name, text, limit)) throw too_large(name, limit);
    return parse_any(text, name, diags, options);
  }
  // A stream: look at its beginning to tell JSON from YAML.
  std::string prefix;
  bool whole = read_up_to(fd.get(), name, prefix, limit, kChunk);
  char first = first_significant(prefix);
  if (ends_with(path, ".json") || first == '{' || first == '[') {
    if (!whole || !read_up_to(fd.get(), name, prefix, limit)) throw too_large(name, limit);
    return parse_any(prefix, name, diags, options);
  }
  return parse_yaml_stream(fd.get(), std::move(prefix), name, diags, options);
}

}  // namespace kix
