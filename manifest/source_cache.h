// Inputs a build reads besides its definition and packages (Helm chart
// archives), kept by the SHA-256 of their bytes: the digest kix.lock
// records. The compiler asks here before fetching anything, so a build whose
// locked sources are cached needs no network. The store implements it
// (docs/store.md, "Sources"); this interface keeps the compiler from
// depending on the store.
//
// Thread-safety: as the implementation (the store: one thread at a time).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/hash.h"

namespace kix {

class SourceCache {
 public:
  virtual ~SourceCache() = default;
  // The bytes whose SHA-256 is `sha256`, or nullopt when not cached.
  // Throws kCorruption when cached bytes no longer hash to it.
  virtual std::optional<std::string> find_source(const Hash& sha256) = 0;
  // Keeps `bytes` under their SHA-256 (a no-op when they are cached) and
  // returns it. `kind` ("helm-chart") and `name` ("cloudnative-pg 0.29.0
  // from https://…") are for listings. The caller has checked the bytes.
  virtual Hash keep_source(std::string_view bytes, const std::string& kind,
                           const std::string& name) = 0;
};

}  // namespace kix
