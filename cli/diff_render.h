// Printing a DiffReport (manifest/build_diff.h) as text, JSON or markdown:
// one renderer for every "compare two builds" command (kix diff, kix store
// diff) and for drift. docs/commands/diff.md documents the formats.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

// A changed value as the reports show it: a plain string bare (as in seed
// 003: `kix: coredns/coredns:1.12.3`), anything ambiguous or not a string
// as JSON, and "(absent)" for a field one side lacks.
std::string value_text(const std::optional<Json>& value);
// A foreign element's key: "name: log-shipper", "port: 9090, protocol: TCP".
std::string key_text(const Json& key);
// "a, b": field managers.
std::string managers_text(const std::vector<std::string>& managers);

// Prints `report` in `format` (text, json or markdown) to stdout. The text
// format draws its rule with "═" when `utf8` is set, with "=" otherwise.
void print_diff(const DiffReport& report, const std::string& left, const std::string& right,
                const Vocabulary& words, const std::string& format, const Colors& colors,
                bool utf8);

}  // namespace kix::cli
