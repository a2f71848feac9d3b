#include "util/error.h"

namespace kix {

std::string SourceLocation::str() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s;
}

Error::Error(ErrorKind kind, std::string message, SourceLocation where, std::string hint)
    : std::runtime_error(message),
      kind_(kind),
      message_(std::move(message)),
      where_(std::move(where)),
      hint_(std::move(hint)) {}

std::string Error::render() const {
  std::string out;
  if (where_.known()) out += where_.str() + ": ";
  out += "error: " + message_ + "\n";
  if (!source_line_.empty()) {
    out += "  " + source_line_ + "\n";
    if (where_.column > 0) {
      // Tabs in the quoted line keep their width so the caret lines up.
      std::string pad;
      for (int i = 0; i + 1 < where_.column && i < static_cast<int>(source_line_.size()); ++i) {
        pad += source_line_[i] == '\t' ? '\t' : ' ';
      }
      out += "  " + pad + "^\n";
    }
  }
  if (!hint_.empty()) {
    // Hints may span lines; indent each like the quoted source.
    size_t start = 0;
    while (start <= hint_.size()) {
      size_t end = hint_.find('\n', start);
      if (end == std::string::npos) end = hint_.size();
      std::string line = hint_.substr(start, end - start);
      out += line.empty() ? "\n" : "  " + line + "\n";  // no trailing blanks
      start = end + 1;
    }
  }
  for (const auto& c : context_) out += "  (" + c + ")\n";
  return out;
}

std::string line_of(std::string_view text, int line) {
  if (line <= 0) return {};
  size_t pos = 0;
  for (int i = 1; i < line; ++i) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view l = text.substr(pos, end - pos);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  // Long lines (minified JSON) are cut so the diagnostic stays readable.
  if (l.size() > 200) return std::string(l.substr(0, 200)) + "...";
  return std::string(l);
}

}  // namespace kix
