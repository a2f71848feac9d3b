// The one way Merkle nodes and their reference edges enter a SqliteStore's
// database, whether from an add or an import (store/schema.sql, version 6):
// the store numbers its nodes and the reasons of its edges, and an edge
// names both ends and its reason by number.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "manifest/manifest.h"
#include "store/sqlite.h"
#include "util/hash.h"

namespace kix {

// Used inside the store's write transaction, which must outlive it; not
// thread-safe. Errors are those of sqlite::Statement.
class NodeWriter {
 public:
  explicit NodeWriter(sqlite::Database& db);

  struct Put {
    int64_t id = 0;      // the node's number in this store
    bool added = false;  // false: the store had it
  };
  // Stores node `hash` (manifest `blob`, identity `id`) unless the store
  // has it.
  Put put(const Hash& hash, const Hash& blob, const ResourceIdView& id);

  // The number of a stored node; 0 when the store lacks it.
  int64_t find(const Hash& hash);

  // Stores the edge from node `src` to node `dst` (numbers from put or
  // find) unless the store has it.
  void put_ref(int64_t src, int64_t dst, std::string_view reason);

 private:
  int64_t reason_id(std::string_view reason);

  sqlite::Database& db_;
  sqlite::Statement insert_node_;
  sqlite::Statement find_node_;
  sqlite::Statement insert_ref_;
  sqlite::Statement find_reason_;
  sqlite::Statement insert_reason_;
  // A store has a few dozen reasons; each edge names one.
  struct ReasonHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int64_t, ReasonHash, std::equal_to<>> reasons_;
};

}  // namespace kix
