// Typed reading of the JSON the store takes from outside (histories that
// travel, OCI indexes and packs): each accessor returns the field or throws
// what the reader's `fail` makes of "what is wrong", so every message names
// the field and the document it came from.
//
// Thread-safety: a JsonFields holds only its `fail` function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"
#include "util/error.h"
#include "util/hash.h"

namespace kix {

class JsonFields {
 public:
  explicit JsonFields(std::function<Error(const std::string&)> fail) : fail_(std::move(fail)) {}

  const Json& member(const Json& object, const char* key) const;  // any type
  std::string text(const Json& object, const char* key) const;
  int64_t integer(const Json& object, const char* key) const;
  bool boolean(const Json& object, const char* key) const;
  const Json& list(const Json& object, const char* key) const;
  Hash hash(const Json& object, const char* key) const;  // 64 hex digits
  // A list of hashes, sorted.
  std::vector<Hash> hashes(const Json& object, const char* key) const;

  [[noreturn]] void fail(const std::string& what) const { throw fail_(what); }

 private:
  const Json& typed(const Json& object, const char* key, bool (Json::*is)() const,
                    const char* type) const;
  std::function<Error(const std::string&)> fail_;
};

}  // namespace kix
