// A DiffReport (manifest/build_diff.h) as markdown for a pull-request
// comment (docs/commands/diff.md, "markdown"): the summary table first, then
// one collapsible <details> block per modified resource (a table of paths
// and values, and a unified line diff in a fenced block for each changed
// multi-line string, such as a ConfigMap's file), then the lists of
// resources only one side has.
//
// The result never exceeds `limit` bytes, so it fits a GitHub comment
// (65,536 characters): blocks are added in order while they fit, and the
// rest are counted in a last line, "N more resources — see the JSON
// artifact". A Secret's values are never in it. Pure.
#pragma once

#include <cstddef>
#include <string>

#include "cli/diff_render.h"
#include "manifest/build_diff.h"
#include "util/markdown.h"

namespace kix::cli {

std::string diff_markdown(const DiffReport& report, const std::string& left,
                          const std::string& right, const Vocabulary& words,
                          size_t limit = kMarkdownCommentLimit);

}  // namespace kix::cli
