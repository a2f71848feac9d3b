#include "util/diagnostics.h"

namespace kix {

std::string Diagnostic::render() const {
  std::string out;
  if (where.known()) out += where.str() + ": ";
  out += severity == Severity::kWarning ? "warning: " : "note: ";
  out += message + "\n";
  if (!hint.empty()) {
    size_t start = 0;
    while (start <= hint.size()) {
      size_t end = hint.find('\n', start);
      if (end == std::string::npos) end = hint.size();
      std::string line = hint.substr(start, end - start);
      out += line.empty() ? "\n" : "  " + line + "\n";  // no trailing blanks
      start = end + 1;
    }
  }
  return out;
}

size_t Diagnostics::warning_count() const {
  size_t n = 0;
  for (const auto& d : items_) n += d.severity == Severity::kWarning;
  return n;
}

}  // namespace kix
