// What kix writes to stdout and stderr passes through a filter that escapes
// control characters (util/printable.h) in everything, whatever its source:
// names from archives and charts, reasons, messages, quoted source lines.
// kix's own colours (SGR sequences, ESC [ digits m) pass when colours are on
// for that stream; every other ESC is escaped. Machine output that must
// stay byte-exact (kix canon's RFC 8785 lines) goes to raw_stdout().
#pragma once

#include <iostream>
#include <memory>
#include <streambuf>
#include <string>

namespace kix::cli {

// Replaces the buffer of `stream` for its lifetime, and restores it (after
// flushing) when destroyed. Not thread-safe: kix writes from one thread.
class TerminalFilter {
 public:
  TerminalFilter(std::ostream& stream, bool allow_colors);
  ~TerminalFilter();
  TerminalFilter(const TerminalFilter&) = delete;
  TerminalFilter& operator=(const TerminalFilter&) = delete;

  // A stream on the original, unfiltered buffer.
  std::ostream& raw() { return raw_; }

 private:
  class Buffer;
  std::ostream& stream_;
  std::streambuf* original_;
  std::unique_ptr<Buffer> buffer_;
  std::ostream raw_;
};

// The text the filter would write for `text` (for tests).
std::string filter_terminal_text(const std::string& text, bool allow_colors);

}  // namespace kix::cli
