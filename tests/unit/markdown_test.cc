#include "util/markdown.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

TEST(Markdown, CodeSpansHoldAnyBackticks) {
  EXPECT_EQ(markdown_code("a"), "`a`");
  EXPECT_EQ(markdown_code("a`b"), "``a`b``");
  EXPECT_EQ(markdown_code("`x`"), "`` `x` ``");
  EXPECT_EQ(markdown_code(""), "``");
}

TEST(Markdown, FencesOutrunTheText) {
  EXPECT_EQ(markdown_fence("plain"), "```");
  EXPECT_EQ(markdown_fence("```yaml\n```"), "````");
}

TEST(Markdown, TableCellsKeepTheirPipesAndLines) {
  EXPECT_EQ(markdown_cell_text("a|b\nc\rd"), "a\\|b c d");
  EXPECT_EQ(markdown_cell_code("x|`y`"), "`` x\\|`y` ``");
}

TEST(Markdown, ABudgetStopsBeforeItsLimitAndCountsWhatItLeftOut) {
  MarkdownBudget b;
  b.limit = MarkdownBudget::kLastLineRoom + 100;
  b.out = "head\n";
  b.heading = "## rows\n";
  int made = 0;
  auto row = [&] {
    ++made;
    return std::string(30, 'x') + "\n";
  };
  for (int i = 0; i < 10; ++i) b.add(row, true);
  b.heading = "## notes\n";
  b.add([] { return std::string("note\n"); }, false);
  // "head\n" + "## rows\n" + 2 rows of 31 bytes fit in 100; the third does not.
  EXPECT_EQ(b.out, "head\n## rows\n" + std::string(30, 'x') + "\n" + std::string(30, 'x') + "\n");
  EXPECT_TRUE(b.closed);
  EXPECT_EQ(b.left_out, 8u);
  EXPECT_EQ(b.left_out_other, 1u);
  EXPECT_EQ(made, 3) << "rows are not made once the budget is closed";
  EXPECT_LE(b.out.size() + MarkdownBudget::kLastLineRoom, b.limit);
}

}  // namespace
}  // namespace kix
