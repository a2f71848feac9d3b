// Objects whose change needs a delete and re-create (an immutable field,
// manifest/immutable_fields.h), found before a deploy by comparing the new
// root with the one deployed before, offline (docs/commands/deploy.md,
// "Immutable fields").
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "cluster/deploy.h"
#include "manifest/merkle.h"

namespace kix {

struct Replacement {
  ResourceId id;
  std::vector<std::string> paths;  // the immutable fields that change, as JSONPath
};

// The resources of `next` that `previous` (the root deployed before) has
// with an immutable field changed, by identity order.
std::vector<Replacement> find_replacements(const Graph& next, const Graph& previous);

// `steps` (plan_deploy of `next` and `waves`) with, for each replacement,
//   kubectl [--context C] delete kind[.group]/NAME [-n NS] --ignore-not-found --wait=true
// right before the apply of the wave that creates it again.
std::vector<DeployStep> with_replacements(std::vector<DeployStep> steps,
                                          const std::vector<Replacement>& replacements,
                                          const Graph& next,
                                          const std::vector<std::vector<size_t>>& waves,
                                          const DeployOptions& options);

}  // namespace kix
