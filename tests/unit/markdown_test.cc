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

}  // namespace
}  // namespace kix
