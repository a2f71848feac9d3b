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

}  // namespace kix
