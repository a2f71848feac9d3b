// How the SQLite store keeps a root's node list (docs/store.md, "Roots"):
// the sorted hashes as one BLOB of count * 32 bytes, or a delta against the
// node list of another root.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.h"

namespace kix {

// The hashes, 32 bytes each, in the order given (callers pass them sorted).
std::string pack_hashes(const std::vector<Hash>& hashes);
// Throws kCorruption when `bytes` is not a whole number of hashes.
std::vector<Hash> unpack_hashes(std::string_view bytes);

// `nodes` as a delta against `base` (both sorted): the number of removed
// hashes (4 bytes, little endian), the removed hashes, then the added ones.
std::string pack_delta(std::span<const Hash> base, std::span<const Hash> nodes);
// Throws kCorruption for a delta that does not fit `base`.
std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta);

}  // namespace kix
