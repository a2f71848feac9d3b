#include "manifest/quoted_scalar.h"

#include <cstdint>
#include <optional>

#include "manifest/utf8.h"
#include "util/hex_digit.h"

namespace kix {

namespace {

bool is_white(char c) {
  return c == ' ' || c == '\t';
}
bool is_break(char c) {
  return c == '\n' || c == '\r';
}

// Steps over the line break at `at` (\r\n counts as one).
size_t skip_break(std::string_view raw, size_t at) {
  return at + (raw[at] == '\r' && at + 1 < raw.size() && raw[at + 1] == '\n' ? 2 : 1);
}

// Steps over the whitespace of the lines after a break and counts the empty
// ones among them; `at` is left on the first character of the next line's
// text (or the end).
size_t skip_empty_lines(std::string_view raw, size_t& at) {
  size_t empty = 0;
  for (;;) {
    while (at < raw.size() && is_white(raw[at])) ++at;
    if (at < raw.size() && is_break(raw[at])) {
      at = skip_break(raw, at);
      ++empty;
      continue;
    }
    return empty;
  }
}

// Folds the line break at `at`: whitespace before it (still pending) is
// dropped, and so is the next line's indentation; one break reads as a
// space, and each empty line after it as a line feed.
void fold_break(std::string_view raw, size_t& at, std::string& out) {
  at = skip_break(raw, at);
  size_t empty = skip_empty_lines(raw, at);
  if (empty == 0) {
    out += ' ';
  } else {
    out.append(empty, '\n');
  }
}

// Moves `at` to the next character of text, folding line breaks on the way
// and appending the whitespace before that character (whitespace at the
// end of a line is dropped). At the end of `raw` it appends the trailing
// whitespace and returns false.
bool to_next_text(std::string_view raw, size_t& at, std::string& out) {
  size_t white = at;
  while (at < raw.size()) {
    if (is_break(raw[at])) {
      fold_break(raw, at, out);
      white = at;
    } else if (is_white(raw[at])) {
      ++at;
    } else {
      out.append(raw.substr(white, at - white));
      return true;
    }
  }
  out.append(raw.substr(white));
  return false;
}

// The value of the `digits` hexadecimal digits at `at` (moved past them),
// nullopt when there are not that many.
std::optional<uint32_t> hex_code(std::string_view raw, size_t& at, int digits) {
  uint32_t code = 0;
  for (int i = 0; i < digits; ++i, ++at) {
    int v = at < raw.size() ? hex_digit_value(raw[at]) : -1;
    if (v < 0) return std::nullopt;
    code = code * 16 + static_cast<uint32_t>(v);
  }
  return code;
}

// "\x" for the escape letter x, as a message shows it.
std::string escape_text(char letter) {
  std::string text = "\\";
  text += letter;
  return text;
}

}  // namespace

std::string read_single_quoted(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t at = 0;
  while (to_next_text(raw, at, out)) {
    bool escaped_quote = raw[at] == '\'' && at + 1 < raw.size() && raw[at + 1] == '\'';
    out += raw[at];
    at += escaped_quote ? 2 : 1;
  }
  return out;
}

QuotedScalarValue read_double_quoted(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t at = 0;
  while (to_next_text(raw, at, out)) {
    char c = raw[at];
    if (c != '\\') {
      out += c;
      ++at;
      continue;
    }
    if (at + 1 >= raw.size()) return {{}, "a double-quoted string ends in a lone backslash"};
    char e = raw[at + 1];
    at += 2;
    if (is_break(e)) {
      // An escaped line break joins the lines: the whitespace before the
      // backslash stays, the next line's indentation goes, and each empty
      // line between them is a line feed.
      at = skip_break(raw, at - 1);
      out.append(skip_empty_lines(raw, at), '\n');
      continue;
    }
    int digits = 0;
    switch (e) {
      case '0':
        out += '\0';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 't':
      case '\t':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case 'r':
        out += '\r';
        break;
      case 'e':
        out += '\x1b';
        break;
      case ' ':
        out += ' ';
        break;
      case '"':
        out += '"';
        break;
      case '/':
        out += '/';
        break;
      case '\\':
        out += '\\';
        break;
      case 'N':
        append_utf8(0x85, out);
        break;
      case '_':
        append_utf8(0xA0, out);
        break;
      case 'L':
        append_utf8(0x2028, out);
        break;
      case 'P':
        append_utf8(0x2029, out);
        break;
      case 'x':
        digits = 2;
        break;
      case 'u':
        digits = 4;
        break;
      case 'U':
        digits = 8;
        break;
      default:
        return {{}, "unknown escape " + escape_text(e) + " in a double-quoted string"};
    }
    if (digits == 0) continue;
    std::optional<uint32_t> code = hex_code(raw, at, digits);
    if (!code) {
      return {{},
              "the escape " + escape_text(e) + " needs " + std::to_string(digits) +
                  " hexadecimal digits"};
    }
    // A UTF-16 surrogate pair written as two escapes ("\uD83D\uDE00", as
    // JSON writers do) is one character.
    if (*code >= 0xD800 && *code <= 0xDBFF && raw.substr(at, 2) == "\\u") {
      size_t low_at = at + 2;
      std::optional<uint32_t> low = hex_code(raw, low_at, 4);
      if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
        code = 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00);
        at = low_at;
      }
    }
    if ((*code >= 0xD800 && *code <= 0xDFFF) || *code > 0x10FFFF) {
      return {{}, "the escape " + escape_text(e) + " names no Unicode character"};
    }
    append_utf8(*code, out);
  }
  return {std::move(out), {}};
}

}  // namespace kix
