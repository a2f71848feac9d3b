// The expression language of packages (docs/expressions.md): a small,
// CEL-like language written inside `${...}`. This file is the syntax: a
// parser from text to a tree, and a printer back to text for diagnostics.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix::compiler {

struct Expr {
  enum class Kind {
    kLiteral,      // literal
    kIdent,        // name
    kMember,       // args[0].name
    kIndex,        // args[0][args[1]]
    kCall,         // name(args...) or, with `method`, args[0].name(args[1...])
    kUnary,        // name is "!" or "-"; args[0]
    kBinary,       // name is the operator; args[0], args[1]
    kConditional,  // args[0] ? args[1] : args[2]
    kList,         // [args...]
    kMap,          // {args[0]: args[1], args[2]: args[3], ...}
  };
  Kind kind = Kind::kLiteral;
  Json literal;
  std::string name;
  std::vector<std::unique_ptr<Expr>> args;
  bool method = false;
  size_t offset = 0;  // byte offset of the node in the source text
};

// A syntax error: what is wrong and the byte offset in the expression text.
struct ExprSyntaxError {
  std::string message;
  size_t offset = 0;
};

// Parses one expression. Throws ExprSyntaxError.
std::unique_ptr<Expr> parse_expression(std::string_view text);

// The names `expr` reads from its scope, sorted and unique: identifiers,
// less the variables its macros bind (`l.map(x, x + 1)` reads `l`, not
// `x`) and function names. For static checks of what an expression uses.
std::vector<std::string> free_names(const Expr& expr);

// The expression as text, normalised ("cache.out.sentinelPort",
// "size(x) > 2"), for error messages.
std::string to_source(const Expr& expr);

}  // namespace kix::compiler
