#include "manifest/secret_sources.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <set>

#include "util/suggest.h"

namespace kix {
namespace {

constexpr size_t kMaxLength = 4096;

bool is_source_kind(std::string_view kind) {
  return kind == kRequiredSecretKind || kind == kGeneratedSecretKind;
}

[[noreturn]] void fail(const ResourceId& id, const SourceLocation& where, const std::string& field,
                       const std::string& what, const std::string& hint) {
  throw Error(ErrorKind::kInvalidInput,
              id.kind + " '" + id.name + "': " + (field.empty() ? "" : field + ": ") + what, where,
              hint);
}

// The fields a kind accepts; an unknown one is an error with a suggestion,
// as for package options.
void check_fields(const Json& object, const std::vector<std::string>& allowed, const ResourceId& id,
                  const SourceLocation& where, const std::string& at) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint = did_you_mean(key, allowed);
    if (hint.empty()) hint = "the fields are: " + join_names(allowed);
    fail(id, where, at + key, "unknown field", hint);
  }
}

// Kubernetes' rule for Secret keys (IsConfigMapKey).
bool valid_secret_key(const std::string& key) {
  if (key.empty() || key.size() > 253 || key == "." || key == "..") return false;
  return std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::string check_key(const Json& key, const ResourceId& id, const SourceLocation& where,
                      const std::string& field) {
  if (!key.is_string() || !valid_secret_key(key.get<std::string>())) {
    fail(id, where, field,
         "'" + (key.is_string() ? key.get<std::string>() : key.dump()) + "' is not a Secret key",
         "a key is 1 to 253 letters, digits, '-', '_' or '.'");
  }
  return key.get<std::string>();
}

std::string string_field(const Json& object, const char* name, const ResourceId& id,
                         const SourceLocation& where, const std::string& at) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) fail(id, where, at + name, "must be a string", {});
  return it->get<std::string>();
}

Json object_field(const Json& object, const char* name, const ResourceId& id,
                  const SourceLocation& where, const std::string& at) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return Json::object();
  if (!it->is_object()) fail(id, where, at + name, "must be a map", {});
  return *it;
}

GeneratedValue read_value(const std::string& key, const Json& entry, const ResourceId& id,
                          const SourceLocation& where) {
  const std::string at = "data." + key;
  GeneratedValue value;
  value.key = key;
  if (!entry.is_object()) {
    fail(id, where, at, "must be a map with `value` or `length`",
         "write {value: text} for a fixed, non-secret entry or {length: 32} for a random one");
  }
  check_fields(entry, {"value", "length", "alphabet", "characters"}, id, where, at + ".");
  const bool has_value = entry.contains("value");
  const bool has_length = entry.contains("length");
  if (has_value == has_length) {
    fail(id, where, at,
         has_value ? "has both `value` and `length`" : "has neither `value` nor `length`",
         "write {value: text} for a fixed, non-secret entry or {length: 32} for a random one");
  }
  if (has_value) {
    if (entry.contains("alphabet") || entry.contains("characters")) {
      fail(id, where, at, "a fixed `value` takes no alphabet", {});
    }
    if (!entry["value"].is_string()) fail(id, where, at + ".value", "must be a string", {});
    value.fixed = entry["value"].get<std::string>();
    return value;
  }
  const Json& length = entry["length"];
  if (!length.is_number_integer() || length.get<long long>() < 1 ||
      length.get<long long>() > static_cast<long long>(kMaxLength)) {
    fail(id, where, at + ".length", "must be an integer from 1 to " + std::to_string(kMaxLength),
         {});
  }
  value.length = static_cast<size_t>(length.get<long long>());
  if (entry.contains("alphabet") && entry.contains("characters")) {
    fail(id, where, at, "has both `alphabet` and `characters`", "give one of them");
  }
  if (entry.contains("characters")) {
    if (!entry["characters"].is_string()) {
      fail(id, where, at + ".characters", "must be a string", {});
    }
    std::string chars = entry["characters"].get<std::string>();
    std::set<char> distinct;
    for (unsigned char c : chars) {
      if (c < 33 || c > 126) {
        fail(id, where, at + ".characters", "holds a character that is not printable ASCII",
             "use letters, digits and punctuation (no spaces)");
      }
      if (distinct.insert(static_cast<char>(c)).second) value.alphabet += static_cast<char>(c);
    }
    if (value.alphabet.size() < 2) {
      fail(id, where, at + ".characters", "needs at least 2 distinct characters", {});
    }
    value.alphabet_name = "custom";
    return value;
  }
  value.alphabet_name = "alphanumeric";
  if (entry.contains("alphabet")) {
    if (!entry["alphabet"].is_string()) fail(id, where, at + ".alphabet", "must be a string", {});
    value.alphabet_name = entry["alphabet"].get<std::string>();
  }
  std::vector<std::string> names;
  for (const auto& [name, chars] : named_alphabets()) {
    names.push_back(name);
    if (name == value.alphabet_name) value.alphabet = chars;
  }
  if (value.alphabet.empty()) {
    std::string hint = did_you_mean(value.alphabet_name, names);
    if (hint.empty()) {
      hint = "the alphabets are: " + join_names(names) + "; or give your own with `characters:`";
    }
    fail(id, where, at + ".alphabet", "unknown alphabet '" + value.alphabet_name + "'", hint);
  }
  return value;
}

// A uniformly random index below `n` (2 <= n <= 256) from the system's
// generator: bytes at or above the largest multiple of n are drawn again,
// so no character is more likely than another.
class RandomIndex {
 public:
  size_t below(size_t n) {
    const unsigned limit = 256 - 256 % static_cast<unsigned>(n);
    for (;;) {
      if (next_ == buffer_.size()) refill();
      unsigned byte = buffer_[next_++];
      if (byte < limit) return byte % n;
    }
  }

 private:
  void refill() {
    if (RAND_bytes(buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      throw Error(ErrorKind::kIo, "the system's random generator failed; no Secret was generated");
    }
    next_ = 0;
  }
  std::array<unsigned char, 256> buffer_{};
  size_t next_ = buffer_.size();
};

}  // namespace

double GeneratedValue::entropy_bits() const {
  if (fixed) return 0;
  return static_cast<double>(length) * std::log2(static_cast<double>(alphabet.size()));
}

bool is_secret_source(const ResourceId& id) {
  return is_secret_source(id.view());
}

bool is_secret_source(const ResourceIdView& id) {
  return id.api_version == kSecretSourceApiVersion && is_source_kind(id.kind);
}

bool is_secret_source(const Json& manifest) {
  if (!manifest.is_object()) return false;
  auto api = manifest.find("apiVersion");
  auto kind = manifest.find("kind");
  return api != manifest.end() && kind != manifest.end() && api->is_string() && kind->is_string() &&
         api->get<std::string>() == kSecretSourceApiVersion &&
         is_source_kind(kind->get<std::string>());
}

const std::vector<std::pair<std::string, std::string>>& named_alphabets() {
  static const std::vector<std::pair<std::string, std::string>> alphabets = [] {
    std::string upper, lower, digits;
    for (char c = 'A'; c <= 'Z'; ++c) upper += c;
    for (char c = 'a'; c <= 'z'; ++c) lower += c;
    for (char c = '0'; c <= '9'; ++c) digits += c;
    std::string printable;
    for (char c = 33; c <= 126; ++c) {
      if (std::string_view("'\"\\`$").find(c) == std::string_view::npos) printable += c;
    }
    return std::vector<std::pair<std::string, std::string>>{
        {"alphanumeric", upper + lower + digits},
        {"lowercase", lower + digits},
        {"hex", digits + "abcdef"},
        {"base64url", upper + lower + digits + "-_"},
        {"printable", printable},
    };
  }();
  return alphabets;
}

SecretSource read_secret_source(const Json& manifest, const SourceLocation& where) {
  if (!is_secret_source(manifest)) {
    throw Error(ErrorKind::kInternal, "read_secret_source called on another kind", where);
  }
  SecretSource source;
  source.id.api_version = manifest["apiVersion"].get<std::string>();
  source.id.kind = manifest["kind"].get<std::string>();
  const Json metadata = manifest.value("metadata", Json::object());
  if (metadata.is_object()) {
    if (metadata.contains("name") && metadata["name"].is_string()) {
      source.id.name = metadata["name"].get<std::string>();
    }
    if (metadata.contains("namespace") && metadata["namespace"].is_string()) {
      source.id.ns = metadata["namespace"].get<std::string>();
    }
  }
  const ResourceId& id = source.id;
  if (id.name.empty()) fail(id, where, "metadata.name", "is missing", {});
  if (id.ns.empty()) {
    fail(id, where, "metadata.namespace", "is missing",
         "a Secret lives in a namespace: set metadata.namespace");
  }
  source.generated = id.kind == kGeneratedSecretKind;
  if (!source.generated) {
    check_fields(manifest, {"apiVersion", "kind", "metadata", "keys", "description"}, id, where,
                 "");
    source.description = string_field(manifest, "description", id, where, "");
    auto keys = manifest.find("keys");
    if (keys == manifest.end() || !keys->is_array() || keys->empty()) {
      fail(id, where, "keys", "must list the keys the Secret must have", "keys: [password]");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < keys->size(); ++i) {
      std::string key = check_key((*keys)[i], id, where, "keys[" + std::to_string(i) + "]");
      if (!seen.insert(key).second) fail(id, where, "keys", "'" + key + "' is listed twice", {});
      source.keys.push_back(key);
    }
    return source;
  }
  check_fields(manifest, {"apiVersion", "kind", "metadata", "type", "data"}, id, where, "");
  source.type = string_field(manifest, "type", id, where, "");
  if (source.type.empty()) source.type = "Opaque";
  source.labels = object_field(metadata, "labels", id, where, "metadata.");
  source.annotations = object_field(metadata, "annotations", id, where, "metadata.");
  auto data = manifest.find("data");
  if (data == manifest.end() || !data->is_object() || data->empty()) {
    fail(id, where, "data", "must map each key to how it is made",
         "data: {password: {length: 32}}");
  }
  for (const auto& [key, entry] : data->items()) {
    check_key(Json(key), id, where, "data");
    source.values.push_back(read_value(key, entry, id, where));
    source.keys.push_back(key);
  }
  if (std::none_of(source.values.begin(), source.values.end(),
                   [](const GeneratedValue& v) { return !v.fixed; })) {
    fail(id, where, "data", "has no random entry: nothing is generated",
         "a Secret of fixed values is not secret; use a ConfigMap, or give an entry a length");
  }
  return source;
}

Json generate_secret(const SecretSource& source) {
  Json metadata = {{"name", source.id.name}, {"namespace", source.id.ns}};
  if (!source.labels.empty()) metadata["labels"] = source.labels;
  metadata["annotations"] = source.annotations;
  metadata["annotations"][kGeneratedByAnnotation] = "true";
  Json data = Json::object();
  RandomIndex random;
  for (const GeneratedValue& value : source.values) {
    if (value.fixed) {
      data[value.key] = *value.fixed;
      continue;
    }
    std::string chars(value.length, '\0');
    for (char& c : chars) c = value.alphabet[random.below(value.alphabet.size())];
    data[value.key] = std::move(chars);
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", std::move(metadata)},
          {"type", source.type},
          {"stringData", std::move(data)}};
}

std::string create_secret_command(const SecretSource& source) {
  std::string command = "kubectl create secret generic " + source.id.name + " -n " + source.id.ns;
  for (const std::string& key : source.keys) command += " --from-literal=" + key + "=...";
  return command;
}

}  // namespace kix
