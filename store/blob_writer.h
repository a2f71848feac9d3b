// The one way a blob enters a SqliteStore's database, whether it comes from
// an add, an import or a repair (store/sqlite_store.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "manifest/secret_seal.h"
#include "store/sqlite.h"
#include "util/hash.h"

namespace kix {

class SqliteStore;

// Used inside the store's write transaction, which must outlive it.
class BlobWriter {
 public:
  explicit BlobWriter(SqliteStore& store);

  // Stores `canonical` as blob `hash` unless the store has it. Compressed
  // with the store's newest zstd dictionary, unless the caller compressed it
  // already (`compressed`, needing dictionary id `dictionary`, 0: none).
  // Returns the bytes written; 0 when the store already had the blob.
  size_t put(const Hash& hash, std::string_view canonical, std::string compressed = {},
             int64_t dictionary = 0);

  // Stores blob `hash`, compressed already (with dictionary id `dictionary`,
  // 0: none) from `raw_size` canonical bytes, unless the store has it.
  size_t put_compressed(const Hash& hash, size_t raw_size, std::string_view compressed,
                        int64_t dictionary);
  bool has(const Hash& hash);
  // Writes the blob whether or not a row exists: the repair of a damaged one.
  size_t replace(const Hash& hash, std::string_view canonical);

  // Stores a Secret's sealed values beside its blob (kept when present).
  void put_sealed(const Hash& blob, const SealedSecret& sealed);

 private:
  size_t write(sqlite::Statement& s, const Hash& hash, std::string_view canonical,
               std::string compressed, int64_t dictionary);
  size_t insert(sqlite::Statement& s, const Hash& hash, size_t raw_size,
                std::string_view compressed, int64_t dictionary);

  SqliteStore& store_;
  sqlite::Statement exists_;
  sqlite::Statement insert_;
  sqlite::Statement replace_;
  sqlite::Statement sealed_;
};

}  // namespace kix
