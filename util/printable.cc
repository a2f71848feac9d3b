#include "util/printable.h"

#include <cstdio>

namespace kix {

namespace {

// The length of the control character at text[i] (1 for C0 and DEL, 2 for
// a C1 control in UTF-8), or 0 when there is none to escape.
size_t control_at(std::string_view text, size_t i, bool keep_newlines) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  if (c == '\t' || (keep_newlines && c == '\n')) return 0;
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xC2 && i + 1 < text.size()) {
    unsigned char d = static_cast<unsigned char>(text[i + 1]);
    if (d >= 0x80 && d <= 0x9f) return 2;
  }
  return 0;
}

}  // namespace

bool has_controls(std::string_view text, bool keep_newlines) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (control_at(text, i, keep_newlines) != 0) return true;
  }
  return false;
}

std::string escape_controls(std::string_view text, bool keep_newlines) {
  if (!has_controls(text, keep_newlines)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    size_t n = control_at(text, i, keep_newlines);
    if (n == 0) {
      out += text[i];
      continue;
    }
    unsigned code =
        n == 1 ? static_cast<unsigned char>(text[i]) : static_cast<unsigned char>(text[i + 1]);
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", code);
    out += buf;
    i += n - 1;
  }
  return out;
}

}  // namespace kix
