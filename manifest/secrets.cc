#include "manifest/secrets.h"

namespace kix {

bool is_secret_kind(std::string_view kind) {
  return kind == "Secret";
}

bool is_secret(const Json& manifest) {
  if (!manifest.is_object()) return false;
  auto kind = manifest.find("kind");
  return kind != manifest.end() && kind->is_string() &&
         is_secret_kind(kind->get_ref<const std::string&>());
}

bool is_secret_value_field(std::string_view top_level_key) {
  return top_level_key == "data" || top_level_key == "stringData";
}

Json redact_secret_values(const Json& manifest) {
  Json out = manifest;
  if (!is_secret(manifest)) return out;
  for (auto& [key, value] : out.items()) {
    if (!is_secret_value_field(key)) continue;
    if (value.is_object()) {
      for (auto& [name, v] : value.items()) v = kRedacted;
    } else {
      value = kRedacted;
    }
  }
  return out;
}

}  // namespace kix
