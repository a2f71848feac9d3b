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

class SpillHeap;

// The hashes, 32 bytes each, in the order given (callers pass them sorted).
std::string pack_hashes(const std::vector<Hash>& hashes);
// Throws kCorruption when `bytes` is not a whole number of hashes.
std::vector<Hash> unpack_hashes(std::string_view bytes);

// `nodes` as a delta against `base` (both sorted): the number of removed
// hashes (4 bytes, little endian), the removed hashes, then the added ones.
// `memory`, when not null, is the working memory the lists are in: it is
// told of each page read (util/spill_heap.h), so that what it spilled and
// this reads back does not stay mapped. Empty when the delta would be
// `limit` bytes or more (the caller then stores the full list): nothing
// of that size is built first.
std::string pack_delta(std::span<const Hash> base, std::span<const Hash> nodes,
                       SpillHeap* memory = nullptr, size_t limit = SIZE_MAX);
// Throws kCorruption for a delta that does not fit `base`.
std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta);
// The number of hashes `delta` makes of a base of `base_size`, for the
// form of apply_delta below that writes into memory the caller chose.
// Throws kCorruption for a delta that is damaged or removes more hashes
// than the base holds.
size_t applied_size(size_t base_size, std::string_view delta);
// Writes `base` with `delta` applied to `out`, which holds exactly
// applied_size(base.size(), delta) hashes and does not overlap `base`.
// Throws kCorruption for a delta that does not fit `base` (`out` then
// holds a part of the result). `memory` as for pack_delta.
void apply_delta(std::span<const Hash> base, std::string_view delta, std::span<Hash> out,
                 SpillHeap* memory = nullptr);

}  // namespace kix
