// Markdown pieces that must hold any text: a code span and a code fence
// that the text cannot close early, whatever backticks it holds. Pure.
#pragma once

#include <cstddef>
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

}  // namespace kix
