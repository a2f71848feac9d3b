// Line diffs (util/line_diff.h): the diff spells both texts, and applying
// the unified hunks to the first text gives the second.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "util/line_diff.h"

namespace kix {
namespace {

// Texts of a few distinct lines, so that they share many lines.
rc::Gen<std::string> gen_text() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(
                          rc::gen::element<std::string>("a", "b", "c", "", "  d", "e: 1")),
                      [](const std::vector<std::string>& lines) {
                        std::string text;
                        for (const std::string& l : lines) text += l + "\n";
                        return text;
                      });
}

// Applies `diff -u` hunks (as unified_diff writes them) to `a`.
std::string apply(const std::string& a, const std::string& hunks) {
  std::vector<std::string_view> old_lines = split_lines(a);
  std::string out;
  size_t next = 0;  // the next line of `a` not yet copied (0-based)
  for (std::string_view line : split_lines(hunks)) {
    if (line.starts_with("@@ -")) {
      size_t start = std::stoul(std::string(line.substr(4)));
      // "-START,COUNT" or "-START" for one line.
      size_t comma = line.find(',');
      size_t space = line.find(' ', 4);
      size_t count = comma < space ? std::stoul(std::string(line.substr(comma + 1))) : 1;
      size_t first = count == 0 ? start : start - 1;  // 0-based first line of the hunk
      for (; next < first; ++next) out += std::string(old_lines[next]) + "\n";
    } else if (line[0] == ' ') {
      RC_ASSERT(old_lines.at(next) == line.substr(1));
      out += std::string(line.substr(1)) + "\n";
      ++next;
    } else if (line[0] == '-') {
      RC_ASSERT(old_lines.at(next) == line.substr(1));
      ++next;
    } else {
      out += std::string(line.substr(1)) + "\n";
    }
  }
  for (; next < old_lines.size(); ++next) out += std::string(old_lines[next]) + "\n";
  return out;
}

RC_GTEST_PROP(LineDiffProperties, TheDiffSpellsBothTexts, ()) {
  const std::string a = *gen_text(), b = *gen_text();
  std::string left, right;
  for (const DiffLine& l : diff_lines(a, b)) {
    if (l.op != '+') left += std::string(l.text) + "\n";
    if (l.op != '-') right += std::string(l.text) + "\n";
  }
  RC_ASSERT(left == a);
  RC_ASSERT(right == b);
}

RC_GTEST_PROP(LineDiffProperties, TheHunksTurnTheFirstTextIntoTheSecond, ()) {
  const std::string a = *gen_text(), b = *gen_text();
  const size_t context = *rc::gen::inRange<size_t>(0, 4);
  const std::string hunks = unified_diff(a, b, context);
  RC_ASSERT(hunks.empty() == (a == b));
  RC_ASSERT(apply(a, hunks) == b);
}

}  // namespace
}  // namespace kix
