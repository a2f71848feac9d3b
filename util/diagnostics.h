// Warnings (and notes) that do not stop an operation. Library code appends
// to a Diagnostics sink; the CLI decides how to print them.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace kix {

enum class Severity { kWarning, kNote };

struct Diagnostic {
  Severity severity = Severity::kWarning;
  SourceLocation where;
  std::string message;
  std::string hint;

  // "file:line:col: warning: message" plus the hint on the next line.
  std::string render() const;
};

class Diagnostics {
 public:
  void warn(SourceLocation where, std::string message, std::string hint = {}) {
    items_.push_back({Severity::kWarning, std::move(where), std::move(message), std::move(hint)});
  }
  void note(SourceLocation where, std::string message) {
    items_.push_back({Severity::kNote, std::move(where), std::move(message), {}});
  }
  // Appends everything `other` holds, in order (a worker's, joined in).
  void append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }
  const std::vector<Diagnostic>& items() const { return items_; }
  size_t warning_count() const;
  void clear() { items_.clear(); }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace kix
