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

std::string pack_delta(const std::vector<Hash>& base, const std::vector<Hash>& nodes) {
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
  size_t removed_count = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  size_t total = (delta.size() - 4) / Hash::kSize;
  if (removed_count > total) throw bad("more removed hashes than it holds");
  std::vector<Hash> removed = unpack_hashes(delta.substr(4, removed_count * Hash::kSize));
  std::vector<Hash> added = unpack_hashes(delta.substr(4 + removed_count * Hash::kSize));
  std::vector<Hash> kept;
  kept.reserve(base.size());
  std::set_difference(base.begin(), base.end(), removed.begin(), removed.end(),
                      std::back_inserter(kept));
  if (kept.size() + removed.size() != base.size()) throw bad("it removes hashes the base lacks");
  std::vector<Hash> out;
  out.reserve(kept.size() + added.size());
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(out));
  return out;
}

}  // namespace kix
