// The expression parser (compiler/expression.h) on arbitrary text: it either
// throws ExprSyntaxError with an offset inside the text, or returns a tree
// whose printed form is a fixed point (printing it and parsing that again
// gives the same text), so diagnostics never misquote an expression.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/expression.h"
#include "fuzz/fuzz_invariants.h"

namespace {

size_t depth(const kix::compiler::Expr& e) {
  size_t deepest = 0;
  for (const auto& a : e.args) deepest = std::max(deepest, depth(*a));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<kix::compiler::Expr> expr;
  try {
    expr = kix::compiler::parse_expression(text);
  } catch (const kix::compiler::ExprSyntaxError& e) {
    kix::fuzz::require(e.offset <= text.size(), "a syntax error points inside the text");
    kix::fuzz::require(!e.message.empty(), "a syntax error says what is wrong");
    return 0;
  }
  kix::fuzz::require(expr != nullptr, "a parse gives a tree");
  kix::fuzz::require(expr->offset <= text.size(), "offsets point inside the text");
  std::string printed = kix::compiler::to_source(*expr);
  std::unique_ptr<kix::compiler::Expr> again;
  try {
    again = kix::compiler::parse_expression(printed);
  } catch (const kix::compiler::ExprSyntaxError&) {
    kix::fuzz::require(false, "the printed form of a parsed expression parses");
  }
  kix::fuzz::require(kix::compiler::to_source(*again) == printed, "printing is a fixed point");
  kix::fuzz::require(depth(*again) == depth(*expr), "reparsing keeps the tree's shape");
  return 0;
}
