#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "util/printable.h"

// cli/ is not a library; its filter is tested through the function it
// applies, linked from the source.
#include "cli/terminal_filter.h"

namespace kix {
namespace {

TEST(Printable, EscapesEveryControlButTabAndNewline) {
  EXPECT_EQ(escape_controls(std::string("a\x1b[2Jb\x07\x00"
                                        "c\x7f",
                                        10),
                            true),
            "a\\u001b[2Jb\\u0007\\u0000c\\u007f");
  EXPECT_EQ(escape_controls(std::string("a\x1b]0;t\x07", 7)), "a\\u001b]0;t\\u0007");
  EXPECT_EQ(escape_controls("x\xC2\x9B"
                            "31m"),
            "x\\u009b31m");  // C1 CSI
  EXPECT_EQ(escape_controls("tab\there\nline", true), "tab\there\nline");
  EXPECT_EQ(escape_controls("one\nline\r"), "one\\u000aline\\u000d");
  EXPECT_EQ(escape_controls("caf\xC3\xA9"), "caf\xC3\xA9");  // other UTF-8 stays
}

TEST(Printable, ResourceNamesPrintOnOneLine) {
  ResourceId id{"v1", "ConfigMap", "ns\x1b[2J", "a\nb"};
  EXPECT_EQ(id.display(), "ConfigMap/a\\u000ab @ ns\\u001b[2J");
}

TEST(TerminalFilter, KeepsKixColoursOnlyWhenColoursAreOn) {
  std::string text = "\x1b[31merror:\x1b[0m name \x1b]0;title\x07 \x1b[2J\n";
  EXPECT_EQ(cli::filter_terminal_text(text, true),
            "\x1b[31merror:\x1b[0m name \\u001b]0;title\\u0007 \\u001b[2J\n");
  EXPECT_EQ(cli::filter_terminal_text(text, false),
            "\\u001b[31merror:\\u001b[0m name \\u001b]0;title\\u0007 \\u001b[2J\n");
}

}  // namespace
}  // namespace kix
