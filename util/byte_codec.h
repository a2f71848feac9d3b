// A small binary encoding for caches kix writes and reads back itself:
// unsigned LEB128 varints, length-prefixed byte strings and raw hashes.
// Nothing here is a public format; callers version their own files.
//
// ByteReader never reads past its input: every read reports failure
// instead, and a failed reader stays failed, so a caller can decode a whole
// record and check ok() once. Not thread-safe; each object belongs to one
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/hash.h"

namespace kix {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void varint(uint64_t v);
  void bytes(std::string_view s);  // varint length, then the bytes
  void hash(const Hash& h);        // the 32 raw bytes

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool varint(uint64_t& v);
  // A string of at most `max_size` bytes (longer: failure, nothing read).
  bool bytes(std::string& s, size_t max_size = SIZE_MAX);
  bool hash(Hash& h);
  // A length-prefixed string as a view into the input (valid as long as it).
  bool view(std::string_view& s);
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size(); }
  bool at_end() const { return in_.empty(); }

 private:
  bool fail() { return ok_ = false; }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace kix
