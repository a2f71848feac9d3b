// A progress line on stderr for work that may take a while (reading
// manifests, pushing and pulling blobs): "reading files 4,210/10,000",
// rewritten in place (cli/status_line.h) and gone when the work ends.
//
// Shown only when stderr is a terminal (TERM is not "dumb") and --quiet
// was not given, and only once the work has run for a second, so a quick
// command never flickers; then at most ten times a second. Piped or
// redirected, it writes nothing at all. KIX_PROGRESS_DELAY_MS overrides
// the one second (tests set 0).
//
// Thread-safety: not thread-safe; update from the thread that made it.
#pragma once

#include <chrono>
#include <string>

#include "cli/context.h"
#include "cli/status_line.h"

namespace kix::cli {

class Progress {
 public:
  explicit Progress(const Context& ctx);
  ~Progress() = default;  // the status line clears itself
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Shows `text` when the line is shown at all and it is time to.
  void update(const std::string& text);
  // Erases the line: call before printing the command's own output.
  void clear() { line_.clear(); }
  bool enabled() const { return line_.enabled(); }

 private:
  StatusLine line_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
  std::chrono::milliseconds delay_{1000};
};

// 12345 as "12,345", for counts in progress lines.
std::string with_thousands(uint64_t n);

}  // namespace kix::cli
