#include "manifest/document.h"

namespace kix {

SourceLocation Document::locate(const std::string& pointer) const {
  if (locations) {
    std::string p = pointer;
    for (;;) {
      if (auto it = locations->find(p); it != locations->end()) return it->second;
      if (p.empty()) break;
      p.erase(p.rfind('/'));
    }
  }
  return location;
}

std::string json_pointer_escape(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<Document> parse_any(std::string_view text, const std::string& file, Diagnostics& diags,
                                const ParseOptions& options) {
  if (ends_with(file, ".json")) return parse_json(text, file, diags, options);
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  if (i < text.size() && (text[i] == '{' || text[i] == '[')) {
    // JSON output of kubectl; a YAML flow document that is not valid JSON
    // is read as YAML, whose error messages then apply.
    try {
      return parse_json(text, file, diags, options);
    } catch (const Error& json_error) {
      if (json_error.message().starts_with("invalid JSON"))
        return parse_yaml(text, file, diags, options);
      throw;
    }
  }
  return parse_yaml(text, file, diags, options);
}

}  // namespace kix
