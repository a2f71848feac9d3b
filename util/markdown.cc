#include "util/markdown.h"

#include <algorithm>

namespace kix {

size_t longest_backtick_run(std::string_view text) {
  size_t longest = 0, run = 0;
  for (char ch : text) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::string markdown_code(std::string_view text) {
  const std::string fence(longest_backtick_run(text) + 1, '`');
  const bool pad = !text.empty() && (text.front() == '`' || text.back() == '`');
  std::string out = fence;
  if (pad) out += ' ';
  out += text;
  if (pad) out += ' ';
  return out + fence;
}

std::string markdown_fence(std::string_view text) {
  return std::string(std::max<size_t>(3, longest_backtick_run(text) + 1), '`');
}

std::string markdown_cell_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string markdown_cell_code(std::string_view text) {
  return markdown_code(markdown_cell_text(text));
}

void MarkdownBudget::add(const std::function<std::string()>& make, bool main_item) {
  if (!closed) {
    std::string text = heading + make();
    if (out.size() + text.size() + kLastLineRoom <= limit) {
      out += text;
      heading.clear();
      return;
    }
    closed = true;
  }
  ++(main_item ? left_out : left_out_other);
}

}  // namespace kix
