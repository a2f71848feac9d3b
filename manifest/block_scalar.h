// YAML block scalars (literal "|" and folded ">", YAML 1.2.2 section 8.1)
// read from their source text.
//
// libfyaml 0.7 (Debian 12) finds where a block scalar begins and ends
// correctly, but formats some of them wrongly: a header on a line of its own
// loses or repeats content, and a folded empty line before a more-indented
// line is dropped. Worse, the text it hands back may then end in bytes it
// never wrote. The YAML reader therefore takes only the span and the style
// from libfyaml and reads the value with these functions.
//
// Pure functions, no allocation beyond the returned strings; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kix {

struct BlockScalarHeader {
  enum class Chomping { kClip, kStrip, kKeep };
  bool folded = false;
  Chomping chomping = Chomping::kClip;
  int indentation = 0;  // the indentation indicator (1-9), 0 when detected
};

// The header of a block scalar in `between`: the source from the end of the
// previous token (a key, a tag, an anchor, "- " or "---") to the first line
// of the content. Skips closing quotes and brackets, whitespace, line
// breaks, comments and the indicators "-", "?", ":" and "," before the "|"
// or ">". nullopt when no valid header is found there.
std::optional<BlockScalarHeader> find_block_scalar_header(std::string_view between);

// The value of a block scalar, or the problem that makes it invalid.
struct BlockScalarValue {
  std::string value;
  std::string problem;  // empty when the value was read
  std::string hint;     // what to do about the problem
};

// Reads the block scalar whose content (the source from the start of the
// line after the header to the end of the scalar) is `content`.
// `parent_indent` is the column of the enclosing block collection, -1 at
// the top of a document; only an explicit indentation indicator needs it.
// A line with text that is indented less than the content is a problem:
// libfyaml 0.7 reads "key:" lines into an empty block scalar of a nested
// mapping when an empty line precedes them.
// Line breaks (\n, \r\n, \r) are read as \n, and the last line of text
// ends in one even at the end of the input. "---" or "..." at the start of
// a line ends the scalar. `following` is the source
// after the content: when its first line that is not blank is indented as
// far as the content, the parser ended the scalar early (libfyaml 0.7 reads
// such a line starting with "#" as a comment when the header stands on its
// own line further right), and that is a problem, never a shorter value.
BlockScalarValue read_block_scalar(const BlockScalarHeader& header, std::string_view content,
                                   int parent_indent, std::string_view following = {});

}  // namespace kix
