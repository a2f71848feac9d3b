#include "util/line_diff.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace kix {
namespace {

std::string ops(const std::vector<DiffLine>& lines) {
  std::string out;
  for (const DiffLine& l : lines) out += std::string(1, l.op) + std::string(l.text) + "\n";
  return out;
}

TEST(LineDiff, SplitsLinesLikeAFile) {
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_EQ(split_lines("a\n").size(), 1u);
  EXPECT_EQ(split_lines("a\nb").size(), 2u);
  EXPECT_EQ(split_lines("a\n\nb\n").size(), 3u);
  EXPECT_EQ(split_lines("\n")[0], "");
}

TEST(LineDiff, MarksOnlyWhatChanged) {
  EXPECT_EQ(ops(diff_lines("a\nb\nc\n", "a\nB\nc\n")), " a\n-b\n+B\n c\n");
  EXPECT_EQ(ops(diff_lines("a\nc\n", "a\nb\nc\n")), " a\n+b\n c\n");
  EXPECT_EQ(ops(diff_lines("a\nb\nc\n", "a\nc\n")), " a\n-b\n c\n");
  EXPECT_EQ(ops(diff_lines("", "x\n")), "+x\n");
  EXPECT_EQ(ops(diff_lines("x\n", "")), "-x\n");
  // A longest common subsequence, not only head and tail: "b" and "d" stay.
  EXPECT_EQ(ops(diff_lines("a\nb\nc\nd\ne\n", "A\nb\nC\nd\nE\n")),
            "-a\n+A\n b\n-c\n+C\n d\n-e\n+E\n");
}

TEST(LineDiff, UnifiedHunksAsDiffU) {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) {
    a += "line " + std::to_string(i) + "\n";
    b += (i == 5 ? "five" : i == 16 ? "sixteen" : "line " + std::to_string(i)) + "\n";
  }
  EXPECT_EQ(unified_diff(a, b),
            "@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n"
            " line 8\n@@ -13,7 +13,7 @@\n line 13\n line 14\n line 15\n-line 16\n+sixteen\n"
            " line 17\n line 18\n line 19\n");
  EXPECT_EQ(unified_diff(a, a), "");
  EXPECT_EQ(unified_diff("", "new\n"), "@@ -0,0 +1 @@\n+new\n");
  EXPECT_EQ(unified_diff("old\n", ""), "@@ -1 +0,0 @@\n-old\n");
}

TEST(LineDiff, AMissingFinalNewlineIsAChangeAsInDiff) {
  EXPECT_EQ(unified_diff("a\nb", "a\nb\n"),
            "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  EXPECT_EQ(unified_diff("a\nb\n", "a\nc"),
            "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n");
  EXPECT_EQ(unified_diff("x\nend", "y\nend"),
            "@@ -1,2 +1,2 @@\n-x\n+y\n end\n\\ No newline at end of file\n");
  EXPECT_EQ(unified_diff("a", "a"), "");
}

TEST(LineDiff, ChangesCloseTogetherShareAHunk) {
  EXPECT_EQ(unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\nII\n3\n4\n5\n6\nVII\n8\n"),
            "@@ -1,8 +1,8 @@\n 1\n-2\n+II\n 3\n 4\n 5\n 6\n-7\n+VII\n 8\n");
}

TEST(LineDiff, AMiddleTooLargeForTheTableIsStillACorrectDiff) {
  std::string a, b;
  for (int i = 0; i < 2100; ++i) {
    a += "a" + std::to_string(i) + "\n";
    b += (i % 2 ? "a" : "b") + std::to_string(i) + "\n";
  }
  std::vector<DiffLine> lines = diff_lines(a, b);
  std::string left, right;
  for (const DiffLine& l : lines) {
    if (l.op != '+') left += std::string(l.text) + "\n";
    if (l.op != '-') right += std::string(l.text) + "\n";
  }
  EXPECT_EQ(left, a);
  EXPECT_EQ(right, b);
}

}  // namespace
}  // namespace kix
