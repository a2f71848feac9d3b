#include <gtest/gtest.h>

#include "compiler/expression.h"

namespace kix::compiler {
namespace {

std::string roundtrip(const std::string& text) {
  return to_source(*parse_expression(text));
}

TEST(ExprParser, PrintsMemberChainsAsWritten) {
  EXPECT_EQ(roundtrip("cache.out.sentinelPort"), "cache.out.sentinelPort");
  EXPECT_EQ(roundtrip("a[0]['b']"), "a[0]['b']");
  EXPECT_EQ(roundtrip("x.map(y, y + 1)"), "x.map(y, y + 1)");
}

// Found by the expression fuzzer in the built-in library: a regular
// expression with an escaped dot was printed unescaped, which reads back as
// an unknown escape.
TEST(ExprParser, PrintsStringLiteralsWithTheirEscapes) {
  EXPECT_EQ(roundtrip(R"(x.matches('^[0-9]+(\\.[0-9]+)?$'))"),
            R"(x.matches('^[0-9]+(\\.[0-9]+)?$'))");
  EXPECT_EQ(roundtrip(R"('it\'s' + "a\"b" + 'tab\tnl\n')"), R"('it\'s' + 'a"b' + 'tab\tnl\n')");
}

TEST(ExprParser, RespectsPrecedence) {
  EXPECT_EQ(roundtrip("1 + 2 * 3"), "1 + 2 * 3");
  EXPECT_EQ(roundtrip("(1 + 2) * 3"), "(1 + 2) * 3");
  EXPECT_EQ(roundtrip("a || b && c"), "a || b && c");
  EXPECT_EQ(roundtrip("(a || b) && c"), "(a || b) && c");
  EXPECT_EQ(roundtrip("a ? b : c ? d : e"), "a ? b : c ? d : e");
  EXPECT_EQ(roundtrip("!a.b"), "!a.b");
}

TEST(ExprParser, ReportsSyntaxErrorsWithOffsets) {
  try {
    parse_expression("a.b +");
    FAIL();
  } catch (const ExprSyntaxError& e) {
    EXPECT_EQ(e.offset, 5u);
  }
  EXPECT_THROW(parse_expression("'unterminated"), ExprSyntaxError);
  EXPECT_THROW(parse_expression("a b"), ExprSyntaxError);
  EXPECT_THROW(parse_expression("f(1,"), ExprSyntaxError);
  EXPECT_THROW(parse_expression("a.1"), ExprSyntaxError);
  EXPECT_THROW(parse_expression("#"), ExprSyntaxError);
}

TEST(ExprParser, FreeNamesLeaveOutMacroVariablesAndFunctions) {
  auto names = [](const char* text) { return free_names(*parse_expression(text)); };
  EXPECT_EQ(names("a.b + size(c) > d['x']"), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(names("l.map(x, x + y).filter(z, z in m)"), (std::vector<std::string>{"l", "m", "y"}));
  EXPECT_EQ(names("l.map(x, x) + [x]"), (std::vector<std::string>{"l", "x"}))
      << "a macro variable is bound only inside its macro";
}

TEST(ExprParser, ParsesLiterals) {
  auto e = parse_expression("[1, 2.5, 'x', true, null, {'k': 1}]");
  ASSERT_EQ(e->kind, Expr::Kind::kList);
  EXPECT_EQ(e->args.size(), 6u);
  EXPECT_EQ(e->args[0]->literal, 1);
  EXPECT_EQ(e->args[1]->literal, 2.5);
  EXPECT_EQ(e->args[5]->kind, Expr::Kind::kMap);
}

}  // namespace
}  // namespace kix::compiler

namespace kix::compiler {
namespace {

TEST(ExprParser, RejectsDeepNestingInsteadOfOverflowingTheStack) {
  EXPECT_THROW(parse_expression(std::string(10000, '(') + "1" + std::string(10000, ')')),
               ExprSyntaxError);
  EXPECT_THROW(parse_expression(std::string(10000, '!') + "true"), ExprSyntaxError);
  EXPECT_THROW(parse_expression(std::string(10000, '[') + std::string(10000, ']')),
               ExprSyntaxError);
  EXPECT_NO_THROW(parse_expression(std::string(20, '(') + "1" + std::string(20, ')')));
}

}  // namespace
}  // namespace kix::compiler
