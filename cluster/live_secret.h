// What kix learns about a Secret in the cluster without reading its values:
// whether it exists and which keys it has. kubectl prints the key names
// through a Go template, so no value ever reaches kix's memory.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifest/secret_sources.h"

namespace kix {

struct LiveSecret {
  bool exists = false;
  std::vector<std::string> keys;  // sorted, as kubectl lists them
};

// kubectl [--context C] get secret NAME -n NS --ignore-not-found
//   -o go-template=<exists marker, then one key name a line>
std::vector<std::string> live_secret_command(const std::string& kubectl, const std::string& context,
                                             const ResourceId& secret);

// Reads that command's output. Throws kix::Error(kIo) when it is not what
// the template prints (another program answered).
LiveSecret parse_live_secret(const std::string& output, const ResourceId& secret);

// The keys of `wanted` that `live` lacks, in the order of `wanted`.
std::vector<std::string> missing_keys(const std::vector<std::string>& wanted,
                                      const LiveSecret& live);

// Why a RequiredSecret is not satisfied by `live`, with the command that
// creates it and the source's description; nullopt when it is satisfied.
std::optional<std::string> required_secret_problem(const SecretSource& source,
                                                   const LiveSecret& live);

}  // namespace kix
