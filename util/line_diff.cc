#include "util/line_diff.h"

#include <algorithm>
#include <cstdint>

namespace kix {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<DiffLine> diff_lines(std::string_view a, std::string_view b) {
  const std::vector<std::string_view> x = split_lines(a), y = split_lines(b);
  // The last line of a text without a final '\n' is not the same line as
  // its text with one.
  const bool x_open = !a.empty() && a.back() != '\n', y_open = !b.empty() && b.back() != '\n';
  auto open_x = [&](size_t i) { return x_open && i + 1 == x.size(); };
  auto open_y = [&](size_t j) { return y_open && j + 1 == y.size(); };
  auto same = [&](size_t i, size_t j) { return x[i] == y[j] && open_x(i) == open_y(j); };
  // The common head and tail cost nothing to find and are most of a
  // typical change: only the middle needs the table.
  size_t head = 0;
  while (head < x.size() && head < y.size() && same(head, head)) ++head;
  size_t tail = 0;
  while (tail < x.size() - head && tail < y.size() - head &&
         same(x.size() - 1 - tail, y.size() - 1 - tail)) {
    ++tail;
  }
  const size_t n = x.size() - head - tail, m = y.size() - head - tail;
  std::vector<DiffLine> out;
  out.reserve(x.size() + y.size());
  for (size_t i = 0; i < head; ++i) out.push_back({' ', x[i], open_x(i)});
  if (n > 0 && m > 0 && n * m <= kMaxLineDiffCells) {
    // lcs[i][j]: the longest common subsequence of x[head+i..] and
    // y[head+j..] within the middle, walked forwards to emit the diff.
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        at(i, j) =
            same(head + i, head + j) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0, j = 0;
    while (i < n && j < m) {
      if (same(head + i, head + j)) {
        out.push_back({' ', x[head + i], open_x(head + i)});
        ++i;
        ++j;
      } else if (at(i + 1, j) >= at(i, j + 1)) {
        out.push_back({'-', x[head + i], open_x(head + i)});
        ++i;
      } else {
        out.push_back({'+', y[head + j], open_y(head + j)});
        ++j;
      }
    }
    for (; i < n; ++i) out.push_back({'-', x[head + i], open_x(head + i)});
    for (; j < m; ++j) out.push_back({'+', y[head + j], open_y(head + j)});
  } else {
    for (size_t i = 0; i < n; ++i) out.push_back({'-', x[head + i], open_x(head + i)});
    for (size_t j = 0; j < m; ++j) out.push_back({'+', y[head + j], open_y(head + j)});
  }
  for (size_t i = x.size() - tail; i < x.size(); ++i) out.push_back({' ', x[i], open_x(i)});
  return out;
}

std::string unified_diff(std::string_view a, std::string_view b, size_t context) {
  const std::vector<DiffLine> lines = diff_lines(a, b);
  std::string out;
  size_t k = 0;
  while (k < lines.size()) {
    // The next change, and the hunk around it: it grows while the next
    // change is within 2 × context lines of the last.
    size_t change = k;
    while (change < lines.size() && lines[change].op == ' ') ++change;
    if (change == lines.size()) break;
    size_t begin = change >= context ? change - context : 0;
    begin = std::max(begin, k);
    size_t end = change;
    for (size_t last_change = change; end < lines.size(); ++end) {
      if (lines[end].op != ' ') {
        last_change = end;
      } else if (end - last_change > 2 * context) {
        break;
      }
    }
    // `end` is past the hunk's last change plus up to 2 × context shared
    // lines; keep only `context` of them.
    size_t last = end;
    while (last > begin && lines[last - 1].op == ' ') --last;
    end = std::min(end, last + context);
    // Line numbers of the hunk's first line on each side (1-based).
    size_t a_line = 1, b_line = 1;
    for (size_t i = 0; i < begin; ++i) {
      if (lines[i].op != '+') ++a_line;
      if (lines[i].op != '-') ++b_line;
    }
    size_t a_count = 0, b_count = 0;
    for (size_t i = begin; i < end; ++i) {
      if (lines[i].op != '+') ++a_count;
      if (lines[i].op != '-') ++b_count;
    }
    // As diff -u: a side with no lines in the hunk names the line before
    // it, and a count of 1 is left out.
    auto range = [](size_t line, size_t count) {
      return std::to_string(count == 0 ? line - 1 : line) +
             (count == 1 ? "" : "," + std::to_string(count));
    };
    out += "@@ -" + range(a_line, a_count) + " +" + range(b_line, b_count) + " @@\n";
    for (size_t i = begin; i < end; ++i) {
      out += lines[i].op;
      out += lines[i].text;
      out += '\n';
      if (lines[i].missing_newline) out += "\\ No newline at end of file\n";
    }
    k = end;
  }
  return out;
}

}  // namespace kix
