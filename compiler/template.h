// Templates: JSON trees from a package manifest whose strings contain
// `${...}` expressions. A string that is exactly one `${...}` takes the
// expression's value and type (list, map, integer); other strings
// interpolate. `$${` writes a literal `${`. A map field or list item that
// is exactly one `${...}` evaluating to null is left out.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/value.h"
#include "manifest/document.h"

namespace kix::compiler {

// Where a template lives, so errors point at the line of the expression.
struct TemplateSource {
  const Document* doc = nullptr;  // the package manifest
  std::string pointer;            // JSON Pointer of the template root in doc
  SourceLocation locate(const std::string& relative_pointer) const;
};

// One interpolated value written into the output: where it went, which
// expression produced it, and what it was derived from.
struct Interpolation {
  std::string pointer;     // JSON Pointer in the template (not in the rendered output)
  std::string expression;  // the text inside ${ }
  Provenance prov;
};

// Renders `tmpl` in `scope`. The result's parts record the provenance of
// every interpolated node. Each interpolation is appended to `records`
// when it is non-null. Throws kix::Error at the expression's location.
Value render_template(const Json& tmpl, const TemplateSource& source, const Scope& scope,
                      std::vector<Interpolation>* records = nullptr);

// True when `text` contains a `${` that starts an expression.
bool has_expression(const std::string& text);

// The texts of the expressions in `text` (without ${ }), for static scans
// such as finding which resources a template refers to. With
// `unterminated`, also whether a `${` has no closing brace (the
// expressions before it are returned).
std::vector<std::string> expressions_in(const std::string& text, bool* unterminated = nullptr);

// A condition field (`when`, `unless`, `forEach`, `key`, a check's
// condition) is one expression, written bare or as `${...}`: the expression
// when `raw` is exactly one `${...}`, else `raw` itself.
std::string condition_text(const std::string& raw);

// Whether `text` is [A-Za-z_][A-Za-z0-9_]*: a name expressions can use.
bool is_identifier(std::string_view text);

// Adds to `uses` the names that `\bresources\.([A-Za-z_][A-Za-z0-9_]*)`
// matches in the text of one expression: the resources it refers to.
void collect_resource_uses(std::string_view expr, std::set<std::string>& uses);

}  // namespace kix::compiler
