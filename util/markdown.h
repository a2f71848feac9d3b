// Markdown for pull-request comments: a code span and a code fence that the
// text cannot close early, whatever backticks it holds; table cells; and a
// budget that keeps a comment below GitHub's limit. Pure; a MarkdownBudget
// is used by one thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kix {

// The longest run of backticks in `text`.
size_t longest_backtick_run(std::string_view text);

// `text` as a code span: fenced with one backtick more than its longest
// run, with a space inside the fence when it starts or ends with one
// ("`` `x` ``"). Line breaks and pipes are left to the caller.
std::string markdown_code(std::string_view text);

// The fence for a fenced code block holding `text`: at least three
// backticks, and more than any run in it.
std::string markdown_fence(std::string_view text);

// `text` inside a table cell: pipes escaped (GitHub splits cells at them,
// even inside code) and line breaks as spaces.
std::string markdown_cell_text(std::string_view text);
// markdown_code of markdown_cell_text(text).
std::string markdown_cell_code(std::string_view text);

// Below GitHub's 65,536-character comment limit, with room for a line a CI
// job adds around it. Bytes, so multi-byte characters only count more.
inline constexpr size_t kMarkdownCommentLimit = 65'000;

// Appends blocks in order while they fit below `limit`, keeping room for
// a last line. A section's heading goes in with its first block, so no
// heading stands alone; once a block does not fit, nothing more is added
// (or even made: `make` runs only while blocks can still go in), and the
// blocks left out are counted, as main items (resources, instances) or
// other lines.
struct MarkdownBudget {
  std::string out;
  size_t limit = kMarkdownCommentLimit;
  bool closed = false;
  std::string heading;        // goes in with the next block
  size_t left_out = 0;        // main items
  size_t left_out_other = 0;  // other lines
  static constexpr size_t kLastLineRoom = 300;

  void add(const std::function<std::string()>& make, bool main_item);
};

}  // namespace kix
