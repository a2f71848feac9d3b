// A line of progress rewritten in place on a terminal ("wave 2: 3/5
// ready, 14s — Deployment/web Progressing: ..."), and gone when cleared:
// CR and erase-line before each new text, nothing after it, so the next
// ordinary line starts where the status line was.
//
// The text is written to the unfiltered stream (the terminal filter,
// cli/terminal_filter.h, would escape CR and ESC [ K), so it is escaped
// here instead: every control character in it is shown as \u00XX. It is
// cut to the terminal's width, since a line that wraps cannot be rewritten.
// Disabled (stdout is not a terminal), every call does nothing.
//
// Thread-safety: not thread-safe; kix writes from one thread.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

namespace kix::cli {

class StatusLine {
 public:
  // `filtered` is flushed before each write to `raw`, so what it holds
  // comes first. Neither stream is owned; both must outlive this.
  StatusLine(std::ostream& filtered, std::ostream& raw, bool enabled, size_t columns);
  ~StatusLine();  // clears
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  void show(const std::string& text);
  // Erases the line, if one is shown.
  void clear();
  bool enabled() const { return enabled_; }

 private:
  std::ostream& filtered_;
  std::ostream& raw_;
  bool enabled_;
  size_t columns_;
  bool shown_ = false;
};

// The width of the terminal on file descriptor `fd`, else COLUMNS from
// `columns_variable` when it is a number, else 80.
size_t terminal_columns(int fd, const std::string& columns_variable);

// `text` cut to at most `width` characters (UTF-8 code points), ending in
// "…" when cut.
std::string fit_width(const std::string& text, size_t width);

}  // namespace kix::cli
