#include "manifest/block_scalar.h"

#include <algorithm>
#include <vector>

namespace kix {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// One source line: its text without the line break, and whether a line
// break ended it (the last line of the input may have none).
struct Line {
  std::string_view text;
  bool has_break = false;
};

std::vector<Line> split_lines(std::string_view content) {
  std::vector<Line> lines;
  size_t at = 0;
  while (at < content.size()) {
    size_t end = content.find_first_of("\r\n", at);
    if (end == std::string_view::npos) {
      lines.push_back({content.substr(at), false});
      break;
    }
    lines.push_back({content.substr(at, end - at), true});
    at = end +
         (content[end] == '\r' && end + 1 < content.size() && content[end + 1] == '\n' ? 2 : 1);
  }
  return lines;
}

size_t leading_spaces(std::string_view text) {
  size_t n = text.find_first_not_of(' ');
  return n == std::string_view::npos ? text.size() : n;
}

// "---" or "..." at the start of a line ends a document, and so any scalar
// in it, even one whose text starts in the first column.
bool is_document_marker(std::string_view text) {
  return (text.starts_with("---") || text.starts_with("...")) &&
         (text.size() == 3 || is_blank(text[3]));
}

// A line that holds nothing but the indentation (or less of it): an empty
// line of the scalar. A line with more spaces than the indentation holds
// those spaces as content.
bool is_empty_line(const Line& line, size_t indent) {
  return leading_spaces(line.text) == line.text.size() && line.text.size() <= indent;
}

}  // namespace

std::optional<BlockScalarHeader> find_block_scalar_header(std::string_view between) {
  // Between the previous token and the header lie only the ends of what
  // came before (a closing quote, outside libfyaml's span of a quoted key;
  // "]" or "}" of a flow collection, whose end kix does not track), blanks,
  // comments, the indicators "-", "?", ":", ",", and "---" or "...".
  size_t at = 0;
  while (at < between.size()) {
    char c = between[at];
    if (is_blank(c) || c == '\r' || c == '\n' || c == '-' || c == '?' || c == ':' || c == '.' ||
        c == ',' || c == '"' || c == '\'' || c == ']' || c == '}') {
      ++at;
    } else if (c == '#') {
      size_t eol = between.find_first_of("\r\n", at);
      at = eol == std::string_view::npos ? between.size() : eol;
    } else {
      break;
    }
  }
  if (at >= between.size() || (between[at] != '|' && between[at] != '>')) return std::nullopt;
  BlockScalarHeader header;
  header.folded = between[at] == '>';
  ++at;
  // The indentation and chomping indicators, in either order, at most one
  // of each.
  bool seen_indent = false;
  bool seen_chomp = false;
  for (; at < between.size(); ++at) {
    char c = between[at];
    if (c >= '1' && c <= '9' && !seen_indent) {
      header.indentation = c - '0';
      seen_indent = true;
    } else if ((c == '-' || c == '+') && !seen_chomp) {
      header.chomping =
          c == '-' ? BlockScalarHeader::Chomping::kStrip : BlockScalarHeader::Chomping::kKeep;
      seen_chomp = true;
    } else {
      break;
    }
  }
  // Then only blanks and a comment to the end of the line.
  size_t rest = at;
  while (rest < between.size() && is_blank(between[rest])) ++rest;
  if (rest < between.size() && between[rest] == '#' && rest > at) {
    rest = between.find_first_of("\r\n", rest);
    if (rest == std::string_view::npos) rest = between.size();
  }
  if (rest < between.size() && between[rest] != '\r' && between[rest] != '\n') {
    return std::nullopt;
  }
  return header;
}

BlockScalarValue read_block_scalar(const BlockScalarHeader& header, std::string_view content,
                                   int parent_indent, std::string_view following) {
  std::vector<Line> lines = split_lines(content);
  // A last line without a break that holds only spaces may be the
  // indentation of whatever follows the scalar; that line continues in
  // `following`.
  std::string_view partial;
  if (!lines.empty() && !lines.back().has_break &&
      leading_spaces(lines.back().text) == lines.back().text.size()) {
    partial = lines.back().text;
  }

  // Text is indented further than the enclosing collection; at the top of a
  // document (-1) it may start in the first column.
  const size_t min_indent = static_cast<size_t>(std::max(parent_indent + 1, 0));
  size_t indent = 0;
  if (header.indentation > 0) {
    indent = static_cast<size_t>(std::max(parent_indent, 0) + header.indentation);
  } else {
    // The indentation of the first line with text; leading empty lines may
    // not have more spaces than it (YAML 1.2.2, 8.1.1.1).
    size_t widest_empty = 0;
    bool found = false;
    for (const Line& line : lines) {
      size_t spaces = leading_spaces(line.text);
      if (spaces == line.text.size()) {
        widest_empty = std::max(widest_empty, spaces);
        continue;
      }
      indent = spaces;
      found = true;
      break;
    }
    if (!found) {
      indent = std::max(widest_empty, min_indent);
    } else if (widest_empty > indent) {
      return {{},
              "a leading empty line of this block scalar has more spaces than its first line of "
              "text",
              "remove the spaces from the empty lines before the text"};
    }
    indent = std::max(indent, min_indent);
  }

  // The first line after the content that is not blank (the line the
  // content ended in continues in `following`). Only that line is looked
  // at: `following` may be the rest of a large document.
  std::string next_line(partial);
  for (size_t at = 0; at <= following.size();) {
    size_t end = following.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = following.size();
    next_line.append(following.substr(at, end - at));
    if (leading_spaces(next_line) != next_line.size()) break;
    next_line.clear();
    at = end + 1;
  }
  if (leading_spaces(next_line) != next_line.size() && leading_spaces(next_line) >= indent &&
      !is_document_marker(next_line)) {
    return {{},
            "libfyaml 0.7, the YAML parser kix uses, ends this block scalar before a line "
            "that belongs to it",
            "put the \"|\" or \">\" on the key's line (\"key: |\"), or indent the text at "
            "least as far as the \"|\""};
  }

  std::string value;
  std::string breaks;  // empty lines seen since the last line of text
  bool any_text = false;
  bool last_starts_blank = false;
  for (const Line& line : lines) {
    if (is_empty_line(line, indent)) {
      if (line.has_break) breaks += '\n';
      continue;
    }
    if (is_document_marker(line.text)) break;
    if (leading_spaces(line.text) < indent) {
      // Text indented less than the content cannot be inside the scalar.
      return {{},
              "libfyaml 0.7, the YAML parser kix uses, reads a less indented line into this "
              "block scalar",
              "write an empty value as \"\" rather than an empty block scalar, or remove the "
              "empty lines after it"};
    }
    std::string_view text = line.text.substr(indent);
    bool starts_blank = is_blank(text.front());
    if (any_text) {
      // Folding: a break between two lines of text that do not start with a
      // blank becomes a space, or disappears when empty lines follow it;
      // every other break is kept.
      if (header.folded && !last_starts_blank && !starts_blank) {
        if (breaks.empty()) value += ' ';
      } else {
        value += '\n';
      }
    }
    value += breaks;
    breaks.clear();
    value.append(text);
    last_starts_blank = starts_blank;
    any_text = true;
  }
  // The last line of text ends in a break even at the end of the input, as
  // the YAML test suite reads it (L24T).
  if (any_text && header.chomping != BlockScalarHeader::Chomping::kStrip) value += '\n';
  if (header.chomping == BlockScalarHeader::Chomping::kKeep) value += breaks;
  return {std::move(value), {}, {}};
}

}  // namespace kix
