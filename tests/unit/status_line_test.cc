// The status line (cli/status_line.h): rewritten in place, escaped, cut to
// the terminal's width, gone when cleared, silent when disabled.
#include "cli/status_line.h"

#include <gtest/gtest.h>

#include <sstream>

namespace kix::cli {
namespace {

TEST(StatusLine, RewritesOneLineInPlaceAndClearsIt) {
  std::ostringstream filtered;
  std::ostringstream raw;
  {
    StatusLine line(filtered, raw, true, 80);
    line.show("wave 1: 0/2 ready");
    line.show("wave 1: 1/2 ready \x1b]0;title\x07");
    line.clear();
    line.clear();  // nothing shown: nothing written
  }
  EXPECT_EQ(raw.str(),
            "\r\x1b[Kwave 1: 0/2 ready"
            "\r\x1b[Kwave 1: 1/2 ready \\u001b]0;title\\u0007"
            "\r\x1b[K");
}

TEST(StatusLine, IsClearedWhenDestroyedAndSilentWhenDisabled) {
  std::ostringstream filtered;
  std::ostringstream raw;
  { StatusLine(filtered, raw, true, 80).show("x"); }
  EXPECT_EQ(raw.str(), "\r\x1b[Kx\r\x1b[K");
  std::ostringstream off;
  {
    StatusLine line(filtered, off, false, 80);
    line.show("x");
    line.clear();
  }
  EXPECT_EQ(off.str(), "");
}

TEST(StatusLine, FitsTheWidth) {
  EXPECT_EQ(fit_width("abcdef", 6), "abcdef");
  EXPECT_EQ(fit_width("abcdef", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(fit_width("a\xE2\x80\x94"
                      "bcd",
                      3),
            "a\xE2\x80\x94\xE2\x80\xA6");
  std::ostringstream filtered;
  std::ostringstream raw;
  StatusLine line(filtered, raw, true, 5);
  line.show("wave 10: 3/4 ready");
  EXPECT_EQ(raw.str(), "\r\x1b[Kwav\xE2\x80\xA6");  // one column left free
}

TEST(StatusLine, ColumnsFromTheVariableWhenNotATerminal) {
  EXPECT_EQ(terminal_columns(-1, "132"), 132u);
  EXPECT_EQ(terminal_columns(-1, "wide"), 80u);
  EXPECT_EQ(terminal_columns(-1, ""), 80u);
}

}  // namespace
}  // namespace kix::cli
