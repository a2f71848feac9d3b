#include "util/secret_key.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/hex_digit.h"

namespace kix {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "kixs1";
constexpr size_t kIdBytes = 8;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

std::array<uint8_t, 32> hmac(const uint8_t* key, size_t key_size, std::string_view data) {
  std::array<uint8_t, 32> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key, static_cast<int>(key_size),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    throw Error(ErrorKind::kInternal, "HMAC-SHA256 failed");
  }
  return out;
}

std::string to_hex(const uint8_t* bytes, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

Error bad_envelope(const std::string& why) {
  return Error(ErrorKind::kCorruption, "a sealed Secret does not open: " + why, {},
               "run `kix store verify`; the ciphertext or its blob was changed");
}

}  // namespace

SecretKey::SecretKey(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {
  hash_key_ = hmac(bytes_.data(), bytes_.size(), "kix secret value hash v1");
  encryption_key_ = hmac(bytes_.data(), bytes_.size(), "kix secret encryption v1");
  auto id = hmac(bytes_.data(), bytes_.size(), "kix secret key id v1");
  id_ = to_hex(id.data(), kIdBytes);
}

SecretKey SecretKey::generate() {
  std::array<uint8_t, kSize> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(ErrorKind::kInternal, "the random number generator failed");
  }
  return SecretKey(bytes);
}

SecretKey SecretKey::from_hex(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  std::array<uint8_t, kSize> bytes{};
  bool ok = text.size() == kSize * 2;
  for (size_t i = 0; ok && i < kSize; ++i) {
    int hi = hex_digit_value(text[2 * i]), lo = hex_digit_value(text[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (!ok) {
    throw Error(ErrorKind::kInvalidInput, "a secret key file must hold 64 hex digits", {},
                "restore the key file from where you keep its copy (docs/secrets.md)");
  }
  return SecretKey(bytes);
}

std::string SecretKey::hex() const {
  return to_hex(bytes_.data(), bytes_.size());
}

std::string SecretKey::value_hmac(std::string_view bytes) const {
  auto mac = hmac(hash_key_.data(), hash_key_.size(), bytes);
  return to_hex(mac.data(), mac.size());
}

std::string SecretKey::seal(std::string_view plaintext, std::string_view aad) const {
  std::string out(kMagic);
  auto id = hmac(bytes_.data(), bytes_.size(), "kix secret key id v1");
  out.append(reinterpret_cast<const char*>(id.data()), kIdBytes);
  std::array<uint8_t, kNonceBytes> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw Error(ErrorKind::kInternal, "the random number generator failed");
  }
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  Cipher ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  std::string cipher(plaintext.size(), '\0');
  std::array<uint8_t, kTagBytes> tag{};
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, encryption_key_.data(),
                         nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &length,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) != 1) {
    throw Error(ErrorKind::kInternal, "AES-256-GCM encryption failed");
  }
  out += cipher;
  out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return out;
}

std::string SecretKey::envelope_key_id(std::string_view envelope) {
  if (envelope.size() < kMagic.size() + kIdBytes + kNonceBytes + kTagBytes ||
      envelope.substr(0, kMagic.size()) != kMagic) {
    return {};
  }
  return to_hex(reinterpret_cast<const uint8_t*>(envelope.data() + kMagic.size()), kIdBytes);
}

std::string SecretKey::open(std::string_view envelope, std::string_view aad) const {
  std::string id = envelope_key_id(envelope);
  if (id.empty()) throw bad_envelope("it is not a kix envelope");
  if (id != id_) throw bad_envelope("it was sealed with key " + id + ", not " + id_);
  const auto* nonce =
      reinterpret_cast<const unsigned char*>(envelope.data() + kMagic.size() + kIdBytes);
  std::string_view body = envelope.substr(kMagic.size() + kIdBytes + kNonceBytes);
  std::string_view cipher = body.substr(0, body.size() - kTagBytes);
  std::array<uint8_t, kTagBytes> tag{};
  std::memcpy(tag.data(), body.data() + cipher.size(), kTagBytes);
  Cipher ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  std::string plain(cipher.size(), '\0');
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, encryption_key_.data(), nonce) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &length,
                        reinterpret_cast<const unsigned char*>(cipher.data()),
                        static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &length) != 1) {
    throw bad_envelope("its authentication tag does not match (tampered with, or moved)");
  }
  return plain;
}

fs::path secret_key_file(const Environment& env) {
  if (auto file = env.get_nonempty("KIX_SECRET_KEY_FILE")) return *file;
  if (auto xdg = env.get_nonempty("XDG_CONFIG_HOME"); xdg && xdg->front() == '/') {
    return fs::path(*xdg) / "kix" / "secret.key";
  }
  return fs::path(env.get_nonempty("HOME").value_or(".")) / ".config" / "kix" / "secret.key";
}

std::optional<SecretKey> read_secret_key(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw io_error("cannot read the secret key", file, errno);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return SecretKey::from_hex(text.str().substr(0, 1024));
  } catch (const Error& e) {
    throw Error(ErrorKind::kInvalidInput, file.string() + ": " + e.message(), {}, e.hint());
  }
}

SecretKey read_or_create_secret_key(const fs::path& file, bool* created) {
  if (created != nullptr) *created = false;
  if (auto key = read_secret_key(file)) return *key;
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw io_error("cannot create the directory of the secret key", dir, errno);
    }
  }
  SecretKey key = SecretKey::generate();
  // Written beside the final name and linked into place: a key file is
  // never half written, and never replaces one another process created.
  fs::path tmp = temporary_sibling(file, "new");
  ::unlink(tmp.c_str());
  write_new_file(tmp, key.hex() + "\n", 0600);
  int rc = ::link(tmp.c_str(), file.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      if (auto theirs = read_secret_key(file)) return *theirs;
    }
    throw io_error("cannot create the secret key", file, err);
  }
  sync_directory(dir);
  if (created != nullptr) *created = true;
  return key;
}

}  // namespace kix
