#include "compiler/checks.h"

#include "compiler/template.h"

namespace kix::compiler {

namespace {

// Splits a rendered message into its first line and the rest, the rest
// indented to line up under the first line's text after "error: " or
// "warning: " (the renderer adds two spaces itself).
std::pair<std::string, std::string> split_message(const std::string& text, size_t label_width) {
  size_t newline = text.find('\n');
  if (newline == std::string::npos) return {text, {}};
  std::string rest;
  std::string indent(label_width - 2, ' ');
  size_t start = newline + 1;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    // Appended piecewise: gcc 12 -O3 misreports `"..." + std::string` (PR 105329).
    if (!rest.empty()) rest += '\n';
    if (!line.empty()) {
      rest += indent;
      rest += line;
    }
    start = end + 1;
  }
  while (!rest.empty() && rest.back() == '\n') rest.pop_back();
  return {text.substr(0, newline), rest};
}

}  // namespace

void run_checks(const Package& pkg, const Scope& scope, const SourceLocation& where,
                Diagnostics& diags, std::vector<Error>& errors) {
  for (const auto& check : pkg.checks) {
    ExprSite site{check.where, check.condition};
    site.where = pkg.doc.locate(check.pointer + (check.fails_when_true ? "/when" : "/unless"));
    bool holds = truthy(evaluate_text(check.condition, scope, site), site);
    if (holds != check.fails_when_true) continue;
    TemplateSource source{&pkg.doc, check.pointer + (check.is_error ? "/error" : "/warn")};
    Value message = render_template(Json(check.message), source, scope);
    std::string text = to_interpolated_string(message.json);
    std::string origin = "check of package '" + pkg.name + "' at " + source.locate("").str();
    if (check.is_error) {
      auto [first, rest] = split_message(text, std::string("error: ").size());
      Error e(ErrorKind::kInvalidInput, first, where, rest);
      e.with_context(origin);
      errors.push_back(std::move(e));
    } else {
      auto [first, rest] = split_message(text, std::string("warning: ").size());
      diags.warn(where, first, rest + (rest.empty() ? "" : "\n") + "(" + origin + ")");
    }
  }
}

}  // namespace kix::compiler
