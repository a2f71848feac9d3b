// Printing a DiffReport (manifest/build_diff.h) as text, JSON or markdown:
// one renderer for every "compare two builds" command (kix diff, kix store
// diff) and for drift. docs/commands/diff.md documents the formats.
#pragma once

#include <string>

#include "cli/context.h"
#include "manifest/build_diff.h"

namespace kix::cli {

// The words each comparison uses for its two sides.
struct Vocabulary {
  std::string mode;             // "live" / "builds"
  std::string left_value;       // "kix"
  std::string right_value;      // "cluster"
  std::string left_only;        // "kix-only"
  std::string left_only_note;   // "will be created"
  std::string right_only;       // "cluster-only"
  std::string right_only_note;  // "not managed by kix"
};

extern const Vocabulary kLiveWords;   // kix against the cluster
extern const Vocabulary kBuildWords;  // a new build against a base build

// Prints `report` in `format` (text, json or markdown) to stdout. The text
// format draws its rule with "═" when `utf8` is set, with "=" otherwise.
void print_diff(const DiffReport& report, const std::string& left, const std::string& right,
                const Vocabulary& words, const std::string& format, const Colors& colors,
                bool utf8);

}  // namespace kix::cli
