// Line diffs of two texts, as `diff -u` shows them: the lines both share,
// the lines only the first has ('-') and only the second has ('+'), and
// unified hunks with context. Used where a changed multi-line value (a
// ConfigMap's file) is shown to people.
//
// The diff is minimal (a longest common subsequence of lines) when the
// lines that differ after the common head and tail are few enough that
// their table fits in kMaxCells cells; beyond that the middle is shown as
// removed then added, which is still a correct diff, never a wrong one.
// Pure functions; the views point into the caller's texts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kix {

struct DiffLine {
  char op;                // ' ' in both, '-' only in the first, '+' only in the second
  std::string_view text;  // the line without its '\n'
  // The last line of a text that does not end in '\n' (of both, for ' '):
  // such a line differs from the same text with its '\n', as for diff.
  bool missing_newline = false;
};

// Above this many cells (lines of the first middle × lines of the second),
// no longest common subsequence is searched.
inline constexpr size_t kMaxLineDiffCells = 4'000'000;

// The lines of `text`, split at '\n'; a final '\n' ends the last line
// rather than starting an empty one ("a\n" is one line, "" none).
std::vector<std::string_view> split_lines(std::string_view text);

// Every line of `a` and `b` in order, marked as above: the ' ' and '-'
// lines spell `a`, the ' ' and '+' lines spell `b`.
std::vector<DiffLine> diff_lines(std::string_view a, std::string_view b);

// `diff -u`'s hunks without the file header: "@@ -1,3 +1,4 @@" then the
// lines prefixed with ' ', '-' or '+', with `context` lines around each
// change, and "\ No newline at end of file" after a last line without
// one; "" when the texts are equal.
std::string unified_diff(std::string_view a, std::string_view b, size_t context = 3);

}  // namespace kix
