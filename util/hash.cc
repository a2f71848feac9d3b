#include "util/hash.h"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

#include "util/hex_digit.h"

namespace kix {

namespace {

// OpenSSL 3 looks the implementation up on every EVP_sha256() digest unless
// it is fetched once; hashing is on every hot path (ingest, read, verify).
const EVP_MD* sha256_implementation() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw std::runtime_error("OpenSSL has no SHA-256 implementation");
  return md;
}

}  // namespace

Hash Hash::of(std::string_view data) {
  std::array<uint8_t, kSize> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_implementation(), nullptr) !=
          1 ||
      len != kSize) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return Hash(out);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_),
                                               sha256_implementation(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data.data(), data.size()) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
}

Hash Sha256::finish() {
  std::array<uint8_t, Hash::kSize> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), out.data(), &len) != 1 ||
      len != Hash::kSize) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return Hash(out);
}

std::optional<Hash> Hash::from_hex(std::string_view hex) {
  if (hex.size() != kHexSize) return std::nullopt;
  std::array<uint8_t, kSize> out{};
  for (size_t i = 0; i < kSize; ++i) {
    int hi = hex_digit_value(hex[2 * i]);
    int lo = hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return Hash(out);
}

Hash Hash::from_bytes(const void* data) {
  std::array<uint8_t, kSize> out{};
  std::memcpy(out.data(), data, kSize);
  return Hash(out);
}

namespace {

// Two hex digits per byte value, so that a byte is one table read.
struct HexPairs {
  char pairs[256][2];
  constexpr HexPairs() : pairs() {
    constexpr char kDigits[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      pairs[b][0] = kDigits[b >> 4];
      pairs[b][1] = kDigits[b & 0xf];
    }
  }
};
constexpr HexPairs kHexPairs;

}  // namespace

std::string Hash::hex() const {
  std::string s;
  append_hex(s);
  return s;
}

void Hash::append_hex(std::string& out) const {
  const size_t at = out.size();
  out.resize(at + kHexSize);
  char* p = out.data() + at;
  for (size_t i = 0; i < kSize; ++i) {
    p[2 * i] = kHexPairs.pairs[bytes_[i]][0];
    p[2 * i + 1] = kHexPairs.pairs[bytes_[i]][1];
  }
}

bool Hash::is_zero() const {
  for (auto b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

std::optional<std::pair<Hash, Hash>> hash_prefix_range(std::string_view prefix) {
  if (prefix.size() > Hash::kHexSize) return std::nullopt;
  auto low = Hash::from_hex(std::string(prefix) + std::string(Hash::kHexSize - prefix.size(), '0'));
  auto high =
      Hash::from_hex(std::string(prefix) + std::string(Hash::kHexSize - prefix.size(), 'f'));
  if (!low || !high) return std::nullopt;
  return std::pair{*low, *high};
}

bool looks_like_hash_prefix(std::string_view s) {
  if (s.size() < Hash::kMinPrefix || s.size() > Hash::kHexSize) return false;
  for (char c : s) {
    if (hex_digit_value(c) < 0) return false;
  }
  return true;
}

}  // namespace kix
