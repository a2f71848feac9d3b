// Block scalars ("|", ">"): the YAML 1.2.2 examples of chapter 8.1 read
// through the YAML reader, the inputs libfyaml 0.7 formats wrongly, and the
// header and content readers on their own.
#include "manifest/block_scalar.h"

#include <gtest/gtest.h>

#include "manifest/document.h"
#include "tests/unit/yaml_test_support.h"

namespace kix {
namespace {

Json one(const std::string& text) {
  return testing::read_one_document(text);
}
Error refusal(const std::string& text) {
  return testing::read_refusal(text);
}

TEST(BlockScalarSpec, Example8_1Headers) {
  EXPECT_EQ(one("- | # Empty header\n literal\n- >1 # Indentation indicator\n  folded\n"
                "- |+ # Chomping indicator\n keep\n\n- >1- # Both indicators\n  strip\n"),
            Json::parse(R"(["literal\n", " folded\n", "keep\n\n", " strip"])"));
}

TEST(BlockScalarSpec, Example8_2IndentationIndicator) {
  EXPECT_EQ(
      one("- |\n detected\n- >\n \n  \n  # detected\n- |1\n  explicit\n- >\n \t\n detected\n"),
      Json::parse(R"(["detected\n", "\n\n# detected\n", " explicit\n", "\t\ndetected\n"])"));
}

TEST(BlockScalarSpec, Example8_4And8_5Chomping) {
  EXPECT_EQ(one("strip: |-\n  text\nclip: |\n  text\nkeep: |+\n  text\n"),
            Json::parse(R"({"strip": "text", "clip": "text\n", "keep": "text\n"})"));
  EXPECT_EQ(one(" # Strip\n  # Comments:\nstrip: |-\n  # text\n  \n # Clip\n  # comments:\n\n"
                "clip: |\n  # text\n \n # Keep\n  # comments:\n\nkeep: |+\n  # text\n\n"
                " # Trail\n  # comments.\n"),
            Json::parse(R"({"strip": "# text", "clip": "# text\n", "keep": "# text\n\n"})"));
}

TEST(BlockScalarSpec, Example8_6EmptyScalars) {
  EXPECT_EQ(one("strip: >-\n\nclip: >\n\nkeep: |+\n\n"),
            Json::parse(R"({"strip": "", "clip": "", "keep": "\n"})"));
}

TEST(BlockScalarSpec, Examples8_7To8_9LiteralAndFolded) {
  EXPECT_EQ(one("|\n literal\n \ttext\n\n"), "literal\n\ttext\n");
  EXPECT_EQ(one("|\n \n  \n  literal\n   \n  \n  text\n\n # Comment\n"),
            "\n\nliteral\n \n\ntext\n");
  EXPECT_EQ(one(">\n folded\n text\n\n"), "folded text\n");
}

TEST(BlockScalarSpec, Example8_10FoldedLines) {
  EXPECT_EQ(one(">\n\n folded\n line\n\n next\n line\n   * bullet\n\n   * list\n   * lines\n\n"
                " last\n line\n\n# Comment\n"),
            "\nfolded line\nnext line\n  * bullet\n\n  * list\n  * lines\n\nlast line\n");
}

TEST(BlockScalarSpec, AfterFlowCollectionsAndQuotes) {
  EXPECT_EQ(one("- [a, b]\n- |\n  x\n- {}\n- >\n  y\n- [\"a\"]\n- |-\n  z\n- {a: 'b'}\n- |\n  w\n"),
            Json::parse(R"([["a","b"],"x\n",{},"y\n",["a"],"z",{"a":"b"},"w\n"])"));
  EXPECT_EQ(one("a: [x]\nb: |\n  t\nc: {\"q\": 1}\nd: >\n  u\n"),
            Json::parse(R"({"a":["x"],"b":"t\n","c":{"q":1},"d":"u\n"})"));
}

TEST(BlockScalarSpec, CarriageReturnsAreLineBreaks) {
  EXPECT_EQ(one("a: |\r\n  x\r\n  y\r\nb: >\r  p\r  q\r"),
            Json::parse(R"({"a": "x\ny\n", "b": "p q\n"})"));
}

// Each of these read wrongly through libfyaml's own text: lines lost, one
// byte short, or bytes it never wrote.
TEST(BlockScalarLibfyaml, AHeaderOnItsOwnLineReadsAsOnTheKeysLine) {
  EXPECT_EQ(one("i:\n |\n a\n   b\n"), Json::parse(R"({"i": "a\n  b\n"})"));
  EXPECT_EQ(one("i:\n  |\n  a\n    b\n"), Json::parse(R"({"i": "a\n  b\n"})"));
  EXPECT_EQ(one("p:\n k:\n     |-\n     q\n       a\n"), Json::parse(R"({"p": {"k": "q\n  a"}})"));
  EXPECT_EQ(one("p:\n k:\n  >+\n  d: e\n    a\n  d: e\n z: 1\n"),
            Json::parse(R"({"p": {"k": "d: e\n  a\nd: e\n", "z": 1}})"));
  // The definition-loader fuzzer found this one: the text ended in bytes
  // that were never written.
  EXPECT_EQ(
      one("instances:\n |\n immich:\n    immich:\n      conclai !default { replicas: 0 }\n"
          "    db: { package: cnpg-cluster, aliases: [postgres] }\n"),
      Json::parse(
          R"({"instances": "immich:\n   immich:\n     conclai !default { replicas: 0 }\n   db: { package: cnpg-cluster, aliases: [postgres] }\n"})"));
}

TEST(BlockScalarLibfyaml, AFoldedEmptyLineBeforeAMoreIndentedLineIsKept) {
  EXPECT_EQ(one("k: >\n q\n { x }\n\n  a\nz: 1\n"),
            Json::parse(R"({"k": "q { x }\n\n a\n", "z": 1})"));
  EXPECT_EQ(one("k: >-\n  d: e\n\n   d: e\n"), Json::parse(R"({"k": "d: e\n\n d: e"})"));
}

TEST(BlockScalarLibfyaml, WhatItSplitsWronglyIsRefusedWithALocation) {
  // It ends the scalar at a "#" line left of an own-line header...
  Error early = refusal("k:\n    |\n  # h\n  b\n");
  EXPECT_EQ(early.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(early.render().find("in.yaml:3"), std::string::npos) << early.render();
  EXPECT_NE(early.render().find("key: |"), std::string::npos) << early.render();
  // ...and reads the next key into an empty scalar of a nested mapping,
  // which would lose "z" silently.
  Error swallowed = refusal("p:\n  k: |-\n\n  z: 1\n");
  EXPECT_EQ(swallowed.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(swallowed.render().find("in.yaml:3"), std::string::npos) << swallowed.render();
  EXPECT_NE(swallowed.render().find("\"\""), std::string::npos) << swallowed.render();
}

TEST(BlockScalarHeaderTest, FindsTheIndicatorAfterKeysQuotesAndComments) {
  auto h = find_block_scalar_header(": # a | comment\n  >2- # and | another\n");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->folded);
  EXPECT_EQ(h->indentation, 2);
  EXPECT_EQ(h->chomping, BlockScalarHeader::Chomping::kStrip);
  h = find_block_scalar_header("\": |+9\n");
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->folded);
  EXPECT_EQ(h->indentation, 9);
  EXPECT_EQ(h->chomping, BlockScalarHeader::Chomping::kKeep);
  h = find_block_scalar_header("\n- |\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->chomping, BlockScalarHeader::Chomping::kClip);
  for (const char* bad : {": x |\n", ": |0\n", ": |--\n", ": |12\n", ": |x\n", ": |#c\n", ""}) {
    EXPECT_FALSE(find_block_scalar_header(bad)) << bad;
  }
}

TEST(BlockScalarContent, AnExplicitIndentationCountsFromTheParent) {
  BlockScalarHeader h;
  h.indentation = 1;
  EXPECT_EQ(read_block_scalar(h, "    a\n", 2).value, " a\n");
  EXPECT_EQ(read_block_scalar(h, "  a\n", -1).value, " a\n");
}

TEST(BlockScalarContent, ALeadingEmptyLineWiderThanTheTextIsAProblem) {
  BlockScalarValue v = read_block_scalar({}, "    \n  a\n", 0);
  EXPECT_FALSE(v.problem.empty());
  EXPECT_FALSE(v.hint.empty());
}

TEST(BlockScalarContent, TheLastLineMayLackItsBreak) {
  EXPECT_EQ(read_block_scalar({}, "  a\n  b", 0).value, "a\nb\n");
  BlockScalarHeader keep;
  keep.chomping = BlockScalarHeader::Chomping::kKeep;
  EXPECT_EQ(read_block_scalar(keep, "   a\n\n  ", 0, "- next\n").value, "a\n\n");
  EXPECT_FALSE(read_block_scalar(keep, "  a\n\n  ", 0, "- next\n").problem.empty());
}

}  // namespace
}  // namespace kix
