#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string_view>

#include "util/error.h"

namespace kix {
namespace {

// A pipe whose ends close themselves.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw Error(ErrorKind::kIo, std::string("pipe: ") + std::strerror(errno));
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
  }
  void close_write() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
};

// Runs in the forked child: only async-signal-safe calls from here on, so the
// argument array is built by the parent.
[[noreturn]] void exec_child(char* const* args, Pipe& in, Pipe& out, Pipe& err, int status_fd) {
  ::dup2(in.read_end, STDIN_FILENO);
  ::dup2(out.write_end, STDOUT_FILENO);
  ::dup2(err.write_end, STDERR_FILENO);
  ::execvp(args[0], args);
  // Tell the parent why exec failed through the close-on-exec status pipe.
  int code = errno;
  [[maybe_unused]] ssize_t ignored = ::write(status_fd, &code, sizeof code);
  ::_exit(127);
}

// Feeds stdin and drains stdout/stderr at the same time, so a program that
// writes a lot before reading all its input cannot deadlock us.
void pump(const std::string& input, Pipe& in, Pipe& out, Pipe& err, ProcessResult& result) {
  size_t written = 0;
  if (input.empty()) in.close_write();
  // Non-blocking, so a write fills the pipe only as far as it has room and
  // the loop goes back to draining the program's output.
  if (in.write_end >= 0)
    ::fcntl(in.write_end, F_SETFL, ::fcntl(in.write_end, F_GETFL) | O_NONBLOCK);
  std::array<char, 65536> buffer;
  while (out.read_end >= 0 || err.read_end >= 0) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    int out_slot = -1, err_slot = -1, in_slot = -1;
    if (out.read_end >= 0) fds[out_slot = n++] = {out.read_end, POLLIN, 0};
    if (err.read_end >= 0) fds[err_slot = n++] = {err.read_end, POLLIN, 0};
    if (in.write_end >= 0) fds[in_slot = n++] = {in.write_end, POLLOUT, 0};
    if (::poll(fds.data(), n, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::kIo, std::string("poll: ") + std::strerror(errno));
    }
    if (in_slot >= 0 && fds[in_slot].revents) {
      ssize_t k = ::write(in.write_end, input.data() + written, input.size() - written);
      if (k > 0) written += static_cast<size_t>(k);
      // EPIPE: the program stopped reading; the rest of the input is moot.
      bool failed = k < 0 && errno != EAGAIN && errno != EINTR;
      if (failed || written == input.size()) in.close_write();
    }
    auto drain = [&](int slot, Pipe& pipe, std::string& sink) {
      if (slot < 0 || !fds[slot].revents) return;
      ssize_t k = ::read(pipe.read_end, buffer.data(), buffer.size());
      if (k > 0) {
        sink.append(buffer.data(), static_cast<size_t>(k));
      } else if (k == 0 || errno != EINTR) {
        pipe.close_read();
      }
    };
    drain(out_slot, out, result.out);
    drain(err_slot, err, result.err);
  }
  in.close_write();
}

// SIGPIPE ignored while any thread of this process runs a child: a program
// that exits before reading its stdin must not kill us. The disposition is
// process-wide, so threads that run children at the same time (a build asks
// git while it renders a chart with helm) share one saved disposition,
// restored when the last of them is done, also when one throws.
class SigpipeIgnored {
 public:
  SigpipeIgnored() {
    std::lock_guard lock(mutex_);
    if (users_++ == 0) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      ::sigaction(SIGPIPE, &ignore, &saved_);
    }
  }
  ~SigpipeIgnored() {
    std::lock_guard lock(mutex_);
    if (--users_ == 0) ::sigaction(SIGPIPE, &saved_, nullptr);
  }
  SigpipeIgnored(const SigpipeIgnored&) = delete;
  SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

 private:
  static inline std::mutex mutex_;
  static inline int users_ = 0;
  static inline struct sigaction saved_ {};
};

}  // namespace

ProcessResult SystemProcessRunner::run(const std::vector<std::string>& argv,
                                       const std::string& input) {
  if (argv.empty()) throw Error(ErrorKind::kInvalidInput, "no program to run");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  Pipe in, out, err, status;
  SigpipeIgnored sigpipe_ignored;
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(args.data(), in, out, err, status.write_end);
  in.close_read();
  out.close_write();
  err.close_write();
  status.close_write();
  // The status pipe closes on a successful exec (EOF) or carries errno.
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(status.read_end, &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ProcessResult result;
  if (got <= 0) pump(input, in, out, err, result);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (got > 0) {
    throw Error(ErrorKind::kNotFound, "cannot run '" + argv[0] + "': " + std::strerror(exec_errno),
                {}, "install it or put it on PATH");
  }
  result.exit_code =
      WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return result;
}

std::optional<std::string> find_in_path(const std::string& name, const std::string& path_variable) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  size_t start = 0;
  while (start <= path_variable.size()) {
    size_t end = path_variable.find(':', start);
    if (end == std::string::npos) end = path_variable.size();
    std::string dir = path_variable.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](unsigned char c) {
      return std::isalnum(c) ||
             std::string_view("-_./=:@%+,").find(static_cast<char>(c)) != std::string_view::npos;
    });
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace kix
