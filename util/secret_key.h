// The secret key that seals Secret values (docs/secrets.md): 32 random
// bytes kept in a file outside any store, from which kix derives, with
// HMAC-SHA256 over fixed labels,
//   - the value-hash key: a Secret's values are hashed as
//     HMAC-SHA256(value-hash key, canonical JSON of the value), so a
//     published hash reveals nothing, not even a low-entropy value;
//   - the encryption key: the values themselves are stored encrypted with
//     AES-256-GCM under it (OpenSSL's EVP AEAD), bound to their blob;
//   - the key id: 16 hex digits that name the key without revealing it.
//
// Errors: kix::Error — kInvalidInput for a malformed key file, kIo when it
// cannot be read or written, kCorruption when a sealed envelope does not
// open (tampered, or sealed under this id with other bytes).
// Thread-safety: a SecretKey is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/environment.h"

namespace kix {

class SecretKey {
 public:
  static constexpr size_t kSize = 32;

  // A new key from the operating system's random source.
  static SecretKey generate();
  // 64 hex digits (a key file's content, surrounding white space ignored).
  // Throws kInvalidInput otherwise.
  static SecretKey from_hex(std::string_view text);

  std::string hex() const;
  // 16 hex digits naming the key.
  const std::string& id() const { return id_; }

  // HMAC-SHA256 of `bytes` under the value-hash key, as 64 hex digits.
  std::string value_hmac(std::string_view bytes) const;

  // AES-256-GCM of `plaintext` under the encryption key with a fresh random
  // nonce, authenticating `aad` too. The envelope is "kixs1", the key id's
  // 8 bytes, the 12-byte nonce, the ciphertext and the 16-byte tag.
  std::string seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext of an envelope sealed with this key and `aad`. Throws
  // kCorruption when it is malformed, for another key, or tampered with.
  std::string open(std::string_view envelope, std::string_view aad) const;

  // The key id an envelope names, or "" when it is not an envelope.
  static std::string envelope_key_id(std::string_view envelope);

 private:
  explicit SecretKey(const std::array<uint8_t, kSize>& bytes);
  std::array<uint8_t, kSize> bytes_{};
  std::array<uint8_t, 32> hash_key_{};
  std::array<uint8_t, 32> encryption_key_{};
  std::string id_;
};

// Where the key is: $KIX_SECRET_KEY_FILE, else
// $XDG_CONFIG_HOME/kix/secret.key, else ~/.config/kix/secret.key.
std::filesystem::path secret_key_file(const Environment& env);

// The key in `file`, or nullopt when the file does not exist. Throws
// kInvalidInput for a malformed file, kIo when it cannot be read.
std::optional<SecretKey> read_secret_key(const std::filesystem::path& file);

// The key in `file`, creating the file (0600, its directory 0700) with a
// new key when it does not exist; `created` (when given) says which.
// Creation never replaces a file another process created meanwhile.
SecretKey read_or_create_secret_key(const std::filesystem::path& file, bool* created = nullptr);

}  // namespace kix
