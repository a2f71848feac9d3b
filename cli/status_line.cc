#include "cli/status_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <ostream>

#include "util/printable.h"

namespace kix::cli {

namespace {

// CR, then ESC [ K: erase from the cursor to the end of the line.
constexpr const char* kErase = "\r\x1b[K";

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

}  // namespace

StatusLine::StatusLine(std::ostream& filtered, std::ostream& raw, bool enabled, size_t columns)
    : filtered_(filtered), raw_(raw), enabled_(enabled), columns_(columns) {}

StatusLine::~StatusLine() {
  clear();
}

void StatusLine::show(const std::string& text) {
  if (!enabled_) return;
  filtered_.flush();
  // One column is left free: some terminals wrap when the last one is written.
  raw_ << kErase << fit_width(escape_controls(text), columns_ > 1 ? columns_ - 1 : 1) << std::flush;
  shown_ = true;
}

void StatusLine::clear() {
  if (!enabled_ || !shown_) return;
  filtered_.flush();
  raw_ << kErase << std::flush;
  shown_ = false;
}

size_t terminal_columns(int fd, const std::string& columns_variable) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  size_t columns = 0;
  const char* end = columns_variable.data() + columns_variable.size();
  auto [ptr, ec] = std::from_chars(columns_variable.data(), end, columns);
  if (ec == std::errc() && ptr == end && columns > 0) return columns;
  return 80;
}

std::string fit_width(const std::string& text, size_t width) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (continuation(static_cast<unsigned char>(text[i]))) continue;
    if (++count > width) {
      // Cut before the character that does not fit, keeping room for "…".
      size_t cut = i;
      if (width > 0) {
        do {
          --cut;
        } while (cut > 0 && continuation(static_cast<unsigned char>(text[cut])));
      }
      return text.substr(0, width > 0 ? cut : 0) + (width > 0 ? "\xE2\x80\xA6" : "");
    }
  }
  return text;
}

}  // namespace kix::cli
