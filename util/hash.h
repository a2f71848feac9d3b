// SHA-256 hashes as a validated value type.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kix {

class Hash {
 public:
  static constexpr size_t kSize = 32;
  static constexpr size_t kHexSize = 64;
  // The shortest prefix accepted wherever a hash is (docs/store.md, REF).
  static constexpr size_t kMinPrefix = 8;

  Hash() = default;  // all zero; never the hash of anything real
  explicit Hash(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // SHA-256 of `data`.
  static Hash of(std::string_view data);
  // Parses exactly 64 lowercase or uppercase hex digits; nullopt otherwise.
  static std::optional<Hash> from_hex(std::string_view hex);
  static Hash from_bytes(const void* data);  // reads kSize bytes

  std::string hex() const;  // 64 lowercase hex digits
  // Appends hex() to `out` without a string of its own (Merkle preimages
  // write hundreds of thousands of them).
  void append_hex(std::string& out) const;
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  bool is_zero() const;

  auto operator<=>(const Hash&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// SHA-256 of bytes given in pieces: update() any number of times, then
// finish() once. Throws std::runtime_error when OpenSSL fails.
// Thread-safety: one object per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  Hash finish();

 private:
  void* context_;  // EVP_MD_CTX, kept out of this header
};

// True when `s` is 8 to 64 hex digits: something that may name a hash.
bool looks_like_hash_prefix(std::string_view s);

// The lowest and highest hash that start with the hex digits `prefix` (at
// most 64), or nullopt when `prefix` is not hex.
std::optional<std::pair<Hash, Hash>> hash_prefix_range(std::string_view prefix);

struct HashHasher {
  size_t operator()(const Hash& h) const noexcept {
    size_t v;
    static_assert(sizeof(v) <= Hash::kSize);
    __builtin_memcpy(&v, h.bytes().data(), sizeof(v));
    return v;
  }
};

}  // namespace kix
