#include "manifest/secret_seal.h"

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "manifest/secrets.h"
#include "util/error.h"

namespace kix {

namespace {

constexpr std::string_view kHmacPrefix = "hmac-sha256:";

// Every value of a Secret, as a JSON Pointer and the value there.
std::vector<std::pair<std::string, const Json*>> secret_values(const Json& secret) {
  std::vector<std::pair<std::string, const Json*>> out;
  for (const char* field : {"data", "stringData"}) {
    auto it = secret.find(field);
    if (it == secret.end() || it->is_null()) continue;
    if (it->is_object()) {
      for (const auto& [key, value] : it->items()) {
        out.emplace_back(std::string("/") + field + "/" + json_pointer_escape(key), &value);
      }
    } else {
      out.emplace_back(std::string("/") + field, &*it);
    }
  }
  if (auto md = secret.find("metadata"); md != secret.end() && md->is_object()) {
    if (auto an = md->find("annotations"); an != md->end() && an->is_object()) {
      if (auto la = an->find(kLastAppliedAnnotation); la != an->end()) {
        out.emplace_back("/metadata/annotations/" + json_pointer_escape(kLastAppliedAnnotation),
                         &*la);
      }
    }
  }
  return out;
}

std::string hmac_text(const Json& value, const SecretKey& key) {
  return std::string(kHmacPrefix) + key.id() + ":" + key.value_hmac(canonical_json(value));
}

std::string blob_bytes(const Hash& blob) {
  return std::string(reinterpret_cast<const char*>(blob.bytes().data()), Hash::kSize);
}

Error missing_key(const std::string& what, const SealedSecret& sealed, SecretKeyring& keys) {
  const SecretKey* key = keys.key();
  std::string message = key == nullptr
                            ? what + " is sealed with secret key " + sealed.key_id +
                                  ", and there is no key at " + keys.where()
                            : what + " is sealed with secret key " + sealed.key_id +
                                  ", but the key at " + keys.where() + " is " + key->id();
  return Error(ErrorKind::kNotFound, message, {},
               "copy the key file that seals this store to " + keys.where() +
                   " (or point KIX_SECRET_KEY_FILE at it); docs/secrets.md");
}

}  // namespace

const SecretKey* FileKeyring::key() {
  if (!read_) {
    key_ = read_secret_key(file_);
    read_ = true;
  }
  return key_ ? &*key_ : nullptr;
}

const SecretKey& FileKeyring::key_for_sealing() {
  if (key() == nullptr) key_ = read_or_create_secret_key(file_, &created_);
  return *key_;
}

const SecretKey& FixedKeyring::key_for_sealing() {
  if (!key_) {
    throw Error(ErrorKind::kNotFound, "a Secret must be sealed, and there is no secret key", {},
                "set KIX_SECRET_KEY_FILE (docs/secrets.md)");
  }
  return *key_;
}

Json secret_hash_form(const Json& secret, const SecretKey& key) {
  Json out = secret;
  for (const auto& [pointer, value] : secret_values(secret)) {
    out[Json::json_pointer(pointer)] = hmac_text(*value, key);
  }
  return out;
}

bool is_hash_form(const Json& secret) {
  for (const auto& [pointer, value] : secret_values(secret)) {
    if (!value->is_string()) return false;
    const std::string& text = value->get_ref<const std::string&>();
    // "hmac-sha256:" + 16 hex digits of key id + ":" + 64 hex digits
    if (text.size() != kHmacPrefix.size() + 16 + 1 + 64 || !text.starts_with(kHmacPrefix) ||
        text[kHmacPrefix.size() + 16] != ':') {
      return false;
    }
  }
  return true;
}

SecretSplit split_secret(const Json& secret, const SecretKey& key, const Hash& blob) {
  Json payload = Json::object();
  for (const auto& [pointer, value] : secret_values(secret)) payload[pointer] = *value;
  return SecretSplit{secret_hash_form(secret, key),
                     key.seal(canonical_json(payload), blob_bytes(blob))};
}

void seal_manifest(Manifest& m, SecretKeyring& keys) {
  if (!m.needs_sealing) return;
  const SecretKey& key = keys.key_for_sealing();
  Json hash_form = secret_hash_form(m.value, key);
  m.canonical = canonical_json(hash_form);
  m.blob = Hash::of(m.canonical);
  SecretSplit split = split_secret(m.value, key, m.blob);
  m.sealed =
      std::make_shared<SealedSecret>(SealedSecret{key.id(), std::move(split.envelope), false});
  m.needs_sealing = false;
}

void seal_manifests(std::vector<Manifest>& manifests, SecretKeyring& keys) {
  for (Manifest& m : manifests) seal_manifest(m, keys);
}

void seal_manifests(std::vector<Manifest>& manifests, SecretKeyring* keys) {
  if (keys != nullptr) return seal_manifests(manifests, *keys);
  for (const Manifest& m : manifests) {
    if (m.needs_sealing) {
      throw Error(ErrorKind::kInvalidInput,
                  m.id.display() + " is a Secret with values, and they cannot be sealed here",
                  m.location, "Secrets with values are stored sealed (docs/secrets.md)");
    }
  }
}

Json unseal(const Json& hash_form, const Hash& blob, const SealedSecret& sealed,
            SecretKeyring& keys) {
  const std::string what = "Secret " + make_manifest(hash_form, {}).id.display();
  const SecretKey* key = keys.key();
  if (key == nullptr || key->id() != sealed.key_id) throw missing_key(what, sealed, keys);
  std::string payload_text = key->open(sealed.envelope, blob_bytes(blob));
  Json payload;
  try {
    payload = Json::parse(payload_text);
  } catch (const Json::exception&) {
    throw Error(ErrorKind::kCorruption, what + ": its sealed values are not JSON", {},
                "run `kix store verify`");
  }
  auto mismatch = [&](const std::string& why) {
    return Error(ErrorKind::kCorruption, what + ": its sealed values " + why, {},
                 "run `kix store verify`");
  };
  if (!payload.is_object()) throw mismatch("are not a map");
  Json out = hash_form;
  size_t expected = 0;
  for (const auto& [pointer, value] : secret_values(hash_form)) {
    ++expected;
    auto it = payload.find(pointer);
    if (it == payload.end()) throw mismatch("lack " + pointer);
    if (!value->is_string() || value->get_ref<const std::string&>() != hmac_text(*it, *key)) {
      throw mismatch("do not match the hash of " + pointer);
    }
    out[Json::json_pointer(pointer)] = *it;
  }
  if (payload.size() != expected) throw mismatch("hold more than the Secret has");
  if (sealed.legacy && Hash::of(canonical_json(out)) != blob) {
    throw mismatch("do not give back the blob they were sealed from");
  }
  return out;
}

Manifest sealed_manifest(Json hash_form, const Hash& blob,
                         std::shared_ptr<const SealedSecret> sealed, SecretKeyring* keys,
                         const SourceLocation& where) {
  Manifest m = make_manifest(hash_form, where);
  m.canonical = canonical_json(hash_form);
  m.blob = blob;
  m.needs_sealing = false;
  m.sealed = sealed;
  m.values_known = sealed == nullptr;  // a Secret without values has nothing to restore
  if (keys != nullptr && sealed != nullptr) {
    const SecretKey* key = keys->key();
    if (key != nullptr && key->id() == sealed->key_id) {
      m.value = unseal(hash_form, blob, *sealed, *keys);
      m.values_known = true;
    }
  }
  return m;
}

}  // namespace kix
