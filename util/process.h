// Running external programs (kubectl, helm) behind one narrow interface, so
// commands can be tested with a fake runner or a fake program on PATH.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kix {

struct ProcessResult {
  int exit_code = 0;  // the program's exit status; 128+N when killed by signal N
  std::string out;    // everything it wrote to stdout
  std::string err;    // everything it wrote to stderr
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs argv[0] (a path, or a name looked up in PATH) with the arguments
  // argv[1..], writes `input` to its stdin and closes it, and returns when
  // the program has exited. Throws kix::Error(kNotFound) when the program
  // cannot be started, kInvalidInput for an empty argv.
  virtual ProcessResult run(const std::vector<std::string>& argv,
                            const std::string& input = {}) = 0;
};

// Runs real processes with fork/exec. Output is captured in memory.
class SystemProcessRunner : public ProcessRunner {
 public:
  ProcessResult run(const std::vector<std::string>& argv, const std::string& input = {}) override;
};

// The path of `name` in the directories of `path_variable` (a PATH-style
// list), or nullopt when no executable file of that name is found. A name
// containing '/' is returned as is when it is executable.
std::optional<std::string> find_in_path(const std::string& name, const std::string& path_variable);

// A command line quoted for a POSIX shell, for printing: what an error
// names as the command kix ran.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace kix
