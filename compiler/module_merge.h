// Merging the modules of a cluster definition (docs/cluster-definitions.md): maps merge
// deeply, equal values agree, and different values for one key are an error
// naming both places unless one side is tagged `!default` (loses to any
// other value) or `!force` (wins over any other value). Lists at some
// places (an instance's `patches`) are appended to instead.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "manifest/document.h"

namespace kix::compiler {

// The merge of several documents, able to say where each value came from.
class MergedDocument {
 public:
  // Merges `docs` in order; docs[0] is the main file. `concatenated` lists
  // the top-level keys whose lists are joined instead of compared
  // (packagePaths, availablePackages; an item already there is not added
  // again). `appended` lists JSON Pointer patterns ("*" matches one token:
  // "/instances/*/*/patches") of lists whose items are all kept, those of
  // later documents after those of earlier ones, when both sides have the
  // same priority; a `!force` list replaces, and a `!default` one yields
  // to, a list of another priority as any value would. Throws
  // kix::Error(kConflict).
  static MergedDocument merge(std::vector<Document> docs,
                              const std::vector<std::string>& concatenated,
                              const std::vector<std::string>& appended = {});

  const Json& value() const { return value_; }
  // Where the value at `pointer` was written (the file that won).
  SourceLocation locate(const std::string& pointer) const;

 private:
  enum Priority { kDefault = 0, kNormal = 1, kForce = 2 };

  void merge_into(Json& into, const Json& from, const std::string& pointer, size_t doc);
  Priority priority(size_t doc, const std::string& pointer) const;
  Priority current_priority(const std::string& pointer) const;
  bool is_appended(const std::string& pointer) const;
  // Forgets where the values below `pointer` came from (it was replaced).
  void forget_below(const std::string& pointer);

  Json value_;
  std::vector<Document> docs_;
  // For each subtree taken whole from one document: that document's index.
  std::unordered_map<std::string, size_t> origin_;
  std::vector<std::string> concatenated_;
  std::vector<std::string> appended_;
  // For each item appended to a list of appended_: its document and its
  // pointer there (its index in the merged list differs).
  std::unordered_map<std::string, std::pair<size_t, std::string>> moved_;
};

}  // namespace kix::compiler
