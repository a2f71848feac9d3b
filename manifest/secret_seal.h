// Sealing Secrets (docs/secrets.md): a Secret is hashed in its hash form,
// where each value is replaced by "hmac-sha256:<key id>:<64 hex>", the
// HMAC-SHA256 of the value's canonical JSON under the key's value-hash key
// (util/secret_key.h); its values travel beside it as one AES-256-GCM
// envelope bound to its blob hash. Whoever has the key can restore the
// Secret and check it against its hash form; whoever has not can still
// hash, diff (a changed value changes its HMAC) and verify it.
//
// Errors: kNotFound when a needed key is missing or is another key (the
// message names the key file and the key ids), kCorruption when an envelope
// does not open or its values do not match the hash form.
// Thread-safety: a SecretKeyring is used by one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "util/environment.h"
#include "util/secret_key.h"

namespace kix {

// The values of one Secret as stored: ciphertext only.
struct SealedSecret {
  std::string key_id;    // the key the envelope is sealed with
  std::string envelope;  // SecretKey::seal of the values, bound to the blob hash
  // Sealed when a kix 0.1.0 store or archive was upgraded: the blob hash
  // is the plaintext's (a key holder can check it), not the hash form's.
  bool legacy = false;
};

// Gives the secret key to what seals or opens Secrets.
class SecretKeyring {
 public:
  virtual ~SecretKeyring() = default;
  // The key, or nullptr when there is none; never creates one.
  virtual const SecretKey* key() = 0;
  // The key, created on first need.
  virtual const SecretKey& key_for_sealing() = 0;
  // Where the key is, for messages.
  virtual std::string where() const = 0;
};

// The key in a file (util/secret_key.h: secret_key_file), read once.
class FileKeyring : public SecretKeyring {
 public:
  explicit FileKeyring(std::filesystem::path file) : file_(std::move(file)) {}
  const SecretKey* key() override;
  const SecretKey& key_for_sealing() override;
  std::string where() const override { return file_.string(); }
  // The key file was created by this keyring.
  bool created() const { return created_; }

 private:
  std::filesystem::path file_;
  bool read_ = false;
  bool created_ = false;
  std::optional<SecretKey> key_;
};

// A given key, or none (tests, and code that must not create one).
class FixedKeyring : public SecretKeyring {
 public:
  explicit FixedKeyring(std::optional<SecretKey> key) : key_(std::move(key)) {}
  const SecretKey* key() override { return key_ ? &*key_ : nullptr; }
  const SecretKey& key_for_sealing() override;
  std::string where() const override { return "(no key file)"; }

 private:
  std::optional<SecretKey> key_;
};

// The hash form of a Secret under `key`.
Json secret_hash_form(const Json& secret, const SecretKey& key);

// True when every value of a Secret is an HMAC ("hmac-sha256:<id>:<hex>"):
// it is a hash form, and holds no value.
bool is_hash_form(const Json& secret);

// Seals `m` in place when it needs it (a Secret with values): canonical and
// blob become the hash form's, `sealed` the envelope of its values, and
// `value` keeps them. Asks for a key only then.
void seal_manifest(Manifest& m, SecretKeyring& keys);
void seal_manifests(std::vector<Manifest>& manifests, SecretKeyring& keys);
// As above; without keys, a Secret with values is refused (kInvalidInput,
// naming it): code that was given no keyring must not hash one.
void seal_manifests(std::vector<Manifest>& manifests, SecretKeyring* keys);

// A Secret as read back from a store: `hash_form` is its stored blob (whose
// hash is `blob`). With the key, `value` is the Secret with its values,
// checked against the hash form; without it (or with another key),
// `value` is the hash form and values_known is false.
Manifest sealed_manifest(Json hash_form, const Hash& blob,
                         std::shared_ptr<const SealedSecret> sealed, SecretKeyring* keys,
                         const SourceLocation& where);

// The Secret with its values, or throws: kNotFound naming the key that is
// missing, kCorruption when the envelope does not open or its values do not
// match the hash form (or, for a legacy Secret, the blob hash).
Json unseal(const Json& hash_form, const Hash& blob, const SealedSecret& sealed,
            SecretKeyring& keys);

// The envelope payload of a Secret's values, and its hash form together.
struct SecretSplit {
  Json hash_form;
  std::string envelope;
};
SecretSplit split_secret(const Json& secret, const SecretKey& key, const Hash& blob_of_hash_form);

}  // namespace kix
