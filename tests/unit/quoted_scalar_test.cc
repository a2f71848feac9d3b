// Quoted scalars: the YAML 1.2.2 examples read through the YAML reader, the
// inputs libfyaml 0.7 formats wrongly, and the readers on their own.
#include "manifest/quoted_scalar.h"

#include <gtest/gtest.h>

#include "manifest/document.h"
#include "tests/unit/yaml_test_support.h"

namespace kix {
namespace {

Json value_of_k(const std::string& text) {
  return testing::read_one_document(text)["k"];
}

TEST(QuotedScalarSpec, Example5_13EscapedCharacters) {
  EXPECT_EQ(
      value_of_k("k: \"Fun with \\\\ \\\" \\a \\b \\e \\f \\n \\r \\t \\v \\0 \\  \\_ \\N \\L "
                 "\\P \\x41 \\u0041 \\U00000041\"\n"),
      std::string("Fun with \\ \" \a \b \x1b \f \n \r \t \v ") + std::string(1, '\0') +
          "   \u00a0 \u0085 \u2028 \u2029 A A A");
}

TEST(QuotedScalarSpec, Examples7_5And7_6DoubleQuotedLines) {
  EXPECT_EQ(value_of_k("k: \"folded \n  to a space,\t\n \n  to a line feed, or \t\\\n  \\ "
                       "\tnon-content\"\n"),
            "folded to a space,\nto a line feed, or \t \tnon-content");
  EXPECT_EQ(value_of_k("k: \" 1st non-empty\n\n  2nd non-empty \n \t3rd non-empty \"\n"),
            " 1st non-empty\n2nd non-empty 3rd non-empty ");
}

TEST(QuotedScalarSpec, Examples7_7And7_9SingleQuoted) {
  EXPECT_EQ(value_of_k("k: 'here''s to \"quotes\"'\n"), "here's to \"quotes\"");
  EXPECT_EQ(value_of_k("k: ' 1st non-empty\n\n  2nd non-empty \n \t3rd non-empty '\n"),
            " 1st non-empty\n2nd non-empty 3rd non-empty ");
}

TEST(QuotedScalarSpec, ASurrogatePairOfEscapesIsOneCharacter) {
  // As JSON writers (Python's json.dump) write characters beyond U+FFFF.
  EXPECT_EQ(value_of_k("k: \"\\uD83D\\uDE00 \\ud83d\\ude00\"\n"), "\U0001F600 \U0001F600");
  EXPECT_EQ(read_double_quoted("\\uD83D\\uDE00").value, "\xF0\x9F\x98\x80");
  EXPECT_FALSE(read_double_quoted("\\uD83Dx").problem.empty());
  EXPECT_FALSE(read_double_quoted("\\uDE00").problem.empty());
}

TEST(QuotedScalarSpec, InvalidEscapesAreRefusedAtTheirLine) {
  for (const char* bad : {"k: \"\\c\"\n", "k: \"\\xq-\"\n", "k: \"\\uD800\"\n"}) {
    Diagnostics diags;
    try {
      parse_yaml(bad, "in.yaml", diags);
      ADD_FAILURE() << "read without an error: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << bad;
      EXPECT_EQ(e.where().line, 1) << e.render();
    }
  }
}

// Each of these read wrongly through libfyaml's own text.
TEST(QuotedScalarLibfyaml, EscapedQuotesInARowAreEachOneQuote) {
  EXPECT_EQ(value_of_k("k: 'a''''b'\n"), "a''b");
  EXPECT_EQ(value_of_k("k: '''''''# \": a'\n"), "'''# \": a");
  // The YAML fuzzer found this key: 20 quotes, text, 14 quotes.
  Diagnostics diags;
  auto docs = parse_yaml(
      "'''''''''''''''''''''''''''''''''''''''''claimName: ''''''''''''''''''''''''''''': 1\n",
      "in.yaml", diags);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_TRUE(docs[0].value.contains(std::string(20, '\'') + "claimName: " + std::string(14, '\'')))
      << docs[0].value.dump();
}

TEST(QuotedScalarLibfyaml, AnEscapedBackslashBeforeAnEscapedBreak) {
  EXPECT_EQ(value_of_k("k: \"\\\\\\L: \\\\\\\n  \\0: \"\n"),
            std::string("\\\u2028: \\") + std::string(1, '\0') + ": ");
  EXPECT_EQ(value_of_k("k: \"\\\n    \n\n\n  \\ \\L\\P# \\L\"\n"), "\n\n\n \u2028\u2029# \u2028");
}

TEST(QuotedScalarReaders, FoldAndEscapeOnTheirOwn) {
  EXPECT_EQ(read_single_quoted("a \t\n \n\t b"), "a\nb");
  EXPECT_EQ(read_single_quoted("a\r\n b"), "a b");
  EXPECT_EQ(read_single_quoted("  "), "  ");
  EXPECT_EQ(read_double_quoted("a\\\r\n  b").value, "ab");
  EXPECT_EQ(read_double_quoted("\\U0001F600").value, "\xF0\x9F\x98\x80");
  EXPECT_FALSE(read_double_quoted("\\U00110000").problem.empty());
  EXPECT_FALSE(read_double_quoted("\\x4").problem.empty());
  EXPECT_FALSE(read_double_quoted("a\\").problem.empty());
}

}  // namespace
}  // namespace kix
