// The one error model of kix's libraries: a typed cause, where it happened,
// what is wrong, what to do, and the context added on the way up.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace kix {

// Why an operation failed. The CLI maps every kind to exit code 2 (1 is
// reserved for "differences found" and "a check failed"), but tests and
// callers branch on it.
enum class ErrorKind {
  kInvalidInput,  // the user's input is malformed, hostile or too large
  kNotFound,      // a path, REF, package or attribute does not exist
  kConflict,      // two inputs disagree (ambiguous match, merge conflict)
  kCorruption,    // the store holds something whose hash does not match
  kIo,            // the operating system refused (permissions, disk full)
  kInternal,      // a bug in kix
};

// A place in a source file. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  // "file:line:column", "file:line" or "file" depending on what is known.
  std::string str() const;
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, SourceLocation where = {}, std::string hint = {});

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const SourceLocation& where() const { return where_; }
  const std::string& hint() const { return hint_; }
  // The source line the error points at, shown with a caret under the column.
  const std::string& source_line() const { return source_line_; }
  const std::vector<std::string>& context() const { return context_; }

  Error& with_source_line(std::string line) {
    source_line_ = std::move(line);
    return *this;
  }
  // Adds "while ..." context, outermost last.
  Error& with_context(std::string what) {
    context_.push_back(std::move(what));
    return *this;
  }

  // The full diagnostic, ninja style:
  //   file:line:col: error: message
  //     the source line
  //          ^
  //   hint
  std::string render() const;

 private:
  ErrorKind kind_;
  std::string message_;
  SourceLocation where_;
  std::string hint_;
  std::string source_line_;
  std::vector<std::string> context_;
};

// Returns line number `line` (1-based) of `text` without its newline, or ""
// when out of range. Used to quote the offending line in diagnostics.
std::string line_of(std::string_view text, int line);

}  // namespace kix
