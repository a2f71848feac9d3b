// Bytes that are already canonical JSON (RFC 8785, manifest/canonical_json.h),
// as every stored blob is, read without nlohmann's general parser.
//
// canonical_manifest_identity: a manifest's identity, without building a
// JSON value: what `kix store verify` needs of each stored blob, at a
// fraction of the cost of parsing and writing it again.
//
// The scan is sound, not complete: when it returns an identity, parsing
// `bytes`, making a manifest of the value (make_manifest) and writing its
// canonical JSON would have given exactly `bytes` and that identity. When
// it cannot show that cheaply — a number that is not a plain integer, an
// escaped or non-ASCII key, an escape in an identity field, a Secret or a
// secret source, nesting deeper than kMaxScanDepth, anything malformed or
// not canonical — it returns nullopt, and the caller parses to find out
// (and to say what is wrong). Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "manifest/manifest.h"

namespace kix {

inline constexpr size_t kMaxScanDepth = 256;

std::optional<ResourceId> canonical_manifest_identity(std::string_view bytes);

// The value of `bytes` when they are in canonical form: then exactly what
// Json::parse(bytes) gives, number types included (an integer is unsigned
// unless negative, anything with a fraction or exponent a double), in a
// fraction of its time. nullopt when that cannot be shown cheaply: anything
// malformed or not canonical, a key with an escape, an integer beyond
// ±2^53, -0, a number beyond a double's range, nesting deeper than
// kMaxScanDepth; the caller then parses (and says what is wrong). A double
// in JSON's grammar but not in its shortest form ("1.50", "1E5") is read
// too, to the same value the parser gives. Pure; thread-safe.
std::optional<Json> parse_canonical_json(std::string_view bytes);

}  // namespace kix
