#include "store/root_encoding.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "util/error.h"

namespace kix {

std::string pack_hashes(const std::vector<Hash>& hashes) {
  std::string out(hashes.size() * Hash::kSize, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(out.data() + i * Hash::kSize, hashes[i].bytes().data(), Hash::kSize);
  }
  return out;
}

std::vector<Hash> unpack_hashes(std::string_view bytes) {
  if (bytes.size() % Hash::kSize != 0) {
    throw Error(
        ErrorKind::kCorruption,
        "a root's node list is " + std::to_string(bytes.size()) + " bytes, not a multiple of 32",
        {}, "run `kix store verify`");
  }
  std::vector<Hash> out(bytes.size() / Hash::kSize);
  for (size_t i = 0; i < out.size(); ++i) out[i] = Hash::from_bytes(bytes.data() + i * Hash::kSize);
  return out;
}

std::string pack_delta(std::span<const Hash> base, std::span<const Hash> nodes) {
  std::vector<Hash> removed, added;
  std::set_difference(base.begin(), base.end(), nodes.begin(), nodes.end(),
                      std::back_inserter(removed));
  std::set_difference(nodes.begin(), nodes.end(), base.begin(), base.end(),
                      std::back_inserter(added));
  uint32_t n = static_cast<uint32_t>(removed.size());
  std::string out{static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                  static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
  out += pack_hashes(removed);
  out += pack_hashes(added);
  return out;
}

std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta) {
  auto bad = [](const std::string& why) {
    return Error(ErrorKind::kCorruption, "a root's node delta is damaged: " + why, {},
                 "run `kix store verify`");
  };
  if (delta.size() < 4 || (delta.size() - 4) % Hash::kSize != 0) throw bad("wrong length");
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(delta[i])); };
  const size_t removed_count = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  const size_t total = (delta.size() - 4) / Hash::kSize;
  if (removed_count > total) throw bad("more removed hashes than it holds");
  if (removed_count > base.size()) throw bad("it removes hashes the base lacks");
  // One pass over the base and both lists, read in place: a chain of
  // deltas is applied once per generation a gc or verify decodes, and two
  // passes with copies of the lists were most of decoding.
  const char* removed = delta.data() + 4;
  const char* added = removed + removed_count * Hash::kSize;
  const size_t added_count = total - removed_count;
  auto compare = [](const Hash& h, const char* p) {
    return std::memcmp(h.bytes().data(), p, Hash::kSize);
  };
  std::vector<Hash> out;
  out.reserve(base.size() - removed_count + added_count);
  size_t r = 0;
  size_t a = 0;
  for (const Hash& b : base) {
    int order = 1;
    if (r < removed_count && (order = compare(b, removed + r * Hash::kSize)) > 0) {
      throw bad("it removes hashes the base lacks");
    }
    if (order == 0) {
      ++r;
      continue;
    }
    // Added hashes that sort before this kept one come first; an equal one
    // after it (as std::merge orders them).
    while (a < added_count && compare(b, added + a * Hash::kSize) > 0) {
      out.push_back(Hash::from_bytes(added + a++ * Hash::kSize));
    }
    out.push_back(b);
  }
  if (r != removed_count) throw bad("it removes hashes the base lacks");
  while (a < added_count) out.push_back(Hash::from_bytes(added + a++ * Hash::kSize));
  return out;
}

}  // namespace kix
