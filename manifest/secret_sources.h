// Secrets kix never holds (docs/secrets.md, "Secrets without writing them
// down"): two kinds of the reserved API group kix.dev that stand in a graph
// for a Secret whose values live only in the cluster.
//
//   apiVersion: kix.dev/v1          apiVersion: kix.dev/v1
//   kind: RequiredSecret            kind: GeneratedSecret
//   metadata: {name, namespace}     metadata: {name, namespace, labels, annotations}
//   keys: [api-key]                 type: kubernetes.io/basic-auth   (optional)
//   description: how to make it     data:
//                                     username: {value: immich}      (not secret)
//                                     password: {length: 32, alphabet: alphanumeric}
//
// A RequiredSecret is a Secret the user creates; `kix deploy` checks that it
// exists with its keys before the first wave. A GeneratedSecret is created by
// `kix deploy` when it does not exist, with random values drawn from the
// operating system's generator and sent to kubectl on a pipe; an existing
// one is left alone. Either way the manifest is only the recipe, so its hash
// is stable and holds nothing secret. Neither kind is ever sent to the API
// server as itself.
//
// Thread-safety: pure functions, except generate_secret (which reads the
// system's random generator and is safe to call from any thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/manifest.h"
#include "util/error.h"

namespace kix {

inline constexpr const char* kSecretSourceGroup = "kix.dev";
inline constexpr const char* kSecretSourceApiVersion = "kix.dev/v1";
inline constexpr const char* kRequiredSecretKind = "RequiredSecret";
inline constexpr const char* kGeneratedSecretKind = "GeneratedSecret";
// Set on every Secret kix generates: the node hash of the recipe is not
// known at deploy time for plain inputs, so it says only who made it.
inline constexpr const char* kGeneratedByAnnotation = "kix.dev/generated";

// True for the two kinds above (apiVersion kix.dev/v1 exactly).
bool is_secret_source(const Json& manifest);
bool is_secret_source(const ResourceId& id);
bool is_secret_source(const ResourceIdView& id);

// One entry of a GeneratedSecret's data.
struct GeneratedValue {
  std::string key;
  std::optional<std::string> fixed;  // `value:` (a non-secret entry, such as a user name)
  size_t length = 0;                 // random characters
  std::string alphabet_name;         // "alphanumeric", ..., or "custom"
  std::string alphabet;              // the characters drawn from, distinct, in order
  // log2 of the number of values this entry can take (0 for a fixed one).
  double entropy_bits() const;
};

// A RequiredSecret or GeneratedSecret, read and checked.
struct SecretSource {
  ResourceId id;
  bool generated = false;
  // RequiredSecret: the keys the Secret must have. GeneratedSecret: the keys
  // it is generated with, in the order of `values`.
  std::vector<std::string> keys;
  std::string description;             // RequiredSecret: how to create it (may be empty)
  std::string type;                    // GeneratedSecret: the Secret's type ("Opaque" by default)
  std::vector<GeneratedValue> values;  // GeneratedSecret only, sorted by key
  Json labels = Json::object();        // GeneratedSecret: copied to the Secret
  Json annotations = Json::object();
};

// The named alphabets, for documentation and errors: "alphanumeric"
// (A-Z a-z 0-9), "lowercase" (a-z 0-9), "hex" (0-9 a-f), "base64url"
// (A-Z a-z 0-9 - _), "printable" (ASCII 33-126 without ' " \ ` $).
const std::vector<std::pair<std::string, std::string>>& named_alphabets();

// Reads a manifest for which is_secret_source holds. Throws
// kix::Error(kInvalidInput) at `where` naming the field for anything else:
// unknown fields, no keys, a key that is not a valid Secret key
// ([-._a-zA-Z0-9]+), duplicate keys, an entry with both or neither of
// `value` and `length`, a length outside 1..4096, an unknown alphabet, a
// custom alphabet of fewer than 2 distinct printable ASCII characters.
SecretSource read_secret_source(const Json& manifest, const SourceLocation& where = {});

// The Secret a GeneratedSecret stands for, with fresh random values
// (uniform over the alphabet: bytes from the system's CSPRNG by rejection
// sampling) in `stringData`, the recipe's labels and annotations, and
// kGeneratedByAnnotation. Throws kIo when the random generator fails.
Json generate_secret(const SecretSource& source);

// The command a user runs to create a RequiredSecret by hand, with
// placeholders for the values: kubectl create secret generic NAME -n NS
// --from-literal=KEY=... (for printing in errors and plans).
std::string create_secret_command(const SecretSource& source);

}  // namespace kix
