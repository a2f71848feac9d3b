#include "manifest/yaml_writer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace kix {

namespace {

// Words a YAML reader could take for null or a boolean (the core schema's
// and YAML 1.1's), compared case-insensitively.
bool is_reserved_word(std::string_view s) {
  static constexpr std::array<std::string_view, 11> kWords = {
      "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~", ""};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kWords.begin(), kWords.end(), lower) != kWords.end();
}

// Plain only for strings that start with a letter, '/' or '_' and continue
// with characters that carry no YAML meaning in block context; anything
// that might read as a number, null, boolean, comment or indicator is
// quoted instead.
bool can_be_plain(std::string_view s) {
  if (s.empty() || is_reserved_word(s)) return false;
  unsigned char first = static_cast<unsigned char>(s[0]);
  if (!std::isalpha(first) && first != '/' && first != '_') return false;
  if (s.back() == ' ' || s.back() == ':') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c)) continue;
    switch (c) {
      case '_':
      case '-':
      case '.':
      case '/':
      case '@':
      case '+':
      case '=':
        continue;
      case ' ':
        if (s[i + 1] == ' ' || s[i + 1] == '#') return false;
        continue;
      case ':':
        if (s[i + 1] == ' ') return false;
        continue;
      default:
        return false;
    }
  }
  return true;
}

// Characters that YAML readers treat as line breaks or that YAML forbids
// unescaped: NEL (U+0085), LS (U+2028), PS (U+2029), BOM (U+FEFF).
size_t special_unicode_at(std::string_view s, size_t i, unsigned* code) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  if (b(i) == 0xC2 && i + 1 < s.size() && b(i + 1) == 0x85) {
    *code = 0x85;
    return 2;
  }
  if (b(i) == 0xE2 && i + 2 < s.size() && b(i + 1) == 0x80 &&
      (b(i + 2) == 0xA8 || b(i + 2) == 0xA9)) {
    *code = b(i + 2) == 0xA8 ? 0x2028 : 0x2029;
    return 3;
  }
  if (b(i) == 0xEF && i + 2 < s.size() && b(i + 1) == 0xBB && b(i + 2) == 0xBF) {
    *code = 0xFEFF;
    return 3;
  }
  return 0;
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned code = 0;
    if (size_t n = special_unicode_at(s, i, &code); n > 0) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// A literal block keeps multi-line text (scripts, config files) readable.
// It is used only where it reads back exactly: no leading space or blank
// first line (indentation would be misdetected), no whitespace-only lines
// (they would shrink to empty ones), no tab in a line's indentation, no
// control characters, and at most one trailing newline.
bool can_be_literal_block(std::string_view s) {
  if (s.find('\n') == std::string_view::npos || s.front() == ' ' || s.front() == '\n') return false;
  if (s.size() >= 2 && s.substr(s.size() - 2) == "\n\n") return false;
  size_t line_start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      std::string_view line = s.substr(line_start, i - line_start);
      if (!line.empty() && line.find_first_not_of(" \t") == std::string_view::npos) return false;
      if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return false;
      // libyaml rejects a tab in a block scalar line's leading whitespace.
      if (size_t first = line.find_first_not_of(' ');
          first != std::string_view::npos && line[first] == '\t') {
        return false;
      }
      line_start = i + 1;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned code = 0;
    if ((c < 0x20 && c != '\t') || c == 0x7f || special_unicode_at(s, i, &code) > 0) return false;
  }
  return true;
}

void append_literal_block(std::string& out, std::string_view s, size_t indent) {
  bool trailing_newline = s.back() == '\n';
  out += trailing_newline ? "|" : "|-";
  if (trailing_newline) s.remove_suffix(1);
  size_t start = 0;
  while (true) {
    size_t end = s.find('\n', start);
    std::string_view line = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    out += '\n';
    if (!line.empty()) {
      out.append(indent, ' ');
      out += line;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

void append_scalar(std::string& out, const Json& v, size_t indent) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      break;
    case Json::value_t::number_float:
      out += canonical_number(v.get<double>());
      break;
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (can_be_plain(s)) {
        out += s;
      } else if (can_be_literal_block(s)) {
        append_literal_block(out, s, indent);
      } else {
        append_quoted(out, s);
      }
      break;
    }
    case Json::value_t::object:
      out += "{}";
      break;
    case Json::value_t::array:
      out += "[]";
      break;
    default:
      out += "null";
      break;
  }
}

void append_key(std::string& out, const std::string& key) {
  if (can_be_plain(key)) {
    out += key;
  } else {
    append_quoted(out, key);
  }
}

bool is_collection(const Json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

std::vector<const std::string*> ordered_keys(const Json& object, bool manifest_order) {
  std::vector<const std::string*> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(&it.key());
  if (manifest_order) {
    auto rank = [](const std::string& k) {
      if (k == "apiVersion") return 0;
      if (k == "kind") return 1;
      if (k == "metadata") return 2;
      return 3;
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const std::string* a, const std::string* b) {
      return rank(*a) < rank(*b);
    });
  }
  return keys;
}

void append_collection(std::string& out, const Json& v, size_t indent, bool first_inline,
                       bool manifest_order);

// After "key:" or "-": a nested collection or a scalar and the newline.
void append_value(std::string& out, const Json& v, size_t indent, bool after_dash) {
  if (!is_collection(v)) {
    out += ' ';
    append_scalar(out, v, indent + 2);
    out += '\n';
  } else if (after_dash) {
    out += ' ';
    append_collection(out, v, indent + 2, true, false);
  } else {
    out += '\n';
    // Kubernetes style: a list under a key starts at the key's column.
    append_collection(out, v, v.is_array() ? indent : indent + 2, false, false);
  }
}

void append_collection(std::string& out, const Json& v, size_t indent, bool first_inline,
                       bool manifest_order) {
  bool first = true;
  auto start_line = [&] {
    if (!first || !first_inline) out.append(indent, ' ');
    first = false;
  };
  if (v.is_object()) {
    for (const std::string* key : ordered_keys(v, manifest_order)) {
      start_line();
      append_key(out, *key);
      out += ':';
      append_value(out, v.at(*key), indent, false);
    }
  } else {
    for (const Json& item : v) {
      start_line();
      out += '-';
      append_value(out, item, indent, true);
    }
  }
}

}  // namespace

std::string to_yaml(const Json& value, bool manifest_order) {
  std::string out;
  if (is_collection(value)) {
    append_collection(out, value, 0, false, manifest_order);
  } else {
    append_scalar(out, value, 0);
    out += '\n';
  }
  return out;
}

}  // namespace kix
