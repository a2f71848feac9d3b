// Evaluation of package expressions (docs/expressions.md) over values that
// carry provenance: the result of an expression remembers every emitted
// resource whose data it read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/expression.h"
#include "compiler/value.h"
#include "util/error.h"

namespace kix::compiler {

// The names an expression can see.
class Scope {
 public:
  virtual ~Scope() = default;
  // The variable `name`, or nullptr when it is not defined.
  virtual const Value* find(const std::string& name) const = 0;
  // Every visible name, for "did you mean" hints.
  virtual std::vector<std::string> names() const = 0;
};

// A scope backed by a map, optionally in front of a parent scope.
class MapScope : public Scope {
 public:
  explicit MapScope(const Scope* parent = nullptr) : parent_(parent) {}
  void set(const std::string& name, Value value) { vars_[name] = std::move(value); }
  // The value bound to `name` in this scope (null when it was not set), to
  // be changed in place; the reference stays valid as long as the scope.
  Value& slot(const std::string& name) { return vars_[name]; }
  const Value* find(const std::string& name) const override;
  std::vector<std::string> names() const override;

 private:
  const Scope* parent_;
  std::map<std::string, Value> vars_;
};

// Where an expression is written: errors name this location and quote the
// expression text.
struct ExprSite {
  SourceLocation where;
  std::string text;  // the expression without ${ }
};

// Evaluates `expr`. Throws kix::Error: kNotFound for a missing attribute
// ("attribute 'x' missing at <file>:<line> in: a.b.x") or unknown name,
// kInvalidInput for type errors.
Value evaluate(const Expr& expr, const Scope& scope, const ExprSite& site);

// Parses and evaluates `text`, turning syntax errors into kix::Error at `site`.
Value evaluate_text(const std::string& text, const Scope& scope, const ExprSite& site);

// True for JSON true; false for false and null; other types are an error.
bool truthy(const Value& v, const ExprSite& site);

// The text a value contributes to an interpolated string: strings as they
// are, integers without a fraction, other scalars in JSON form, lists and
// objects as compact JSON.
std::string to_interpolated_string(const Json& j);

}  // namespace kix::compiler
