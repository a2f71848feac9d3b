#include "manifest/secrets.h"

#include <algorithm>

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

bool mentions_secret(std::string_view text) {
  return text.find("Secret") != std::string_view::npos;
}

bool has_secret_values(const Json& secret) {
  if (!secret.is_object()) return false;
  for (const char* field : {"data", "stringData"}) {
    auto it = secret.find(field);
    if (it != secret.end() && !(it->is_object() && it->empty()) && !it->is_null()) return true;
  }
  auto md = secret.find("metadata");
  if (md == secret.end() || !md->is_object()) return false;
  auto an = md->find("annotations");
  return an != md->end() && an->is_object() && an->contains(kLastAppliedAnnotation);
}

bool is_secret_value_field(std::string_view top_level_key) {
  return top_level_key == "data" || top_level_key == "stringData";
}

bool touches_secret_value(const std::vector<std::string>& path) {
  static const std::vector<std::vector<std::string>> kValuePaths = {
      {"data"}, {"stringData"}, {"metadata", "annotations", kLastAppliedAnnotation}};
  for (const auto& value : kValuePaths) {
    size_t common = std::min(path.size(), value.size());
    if (std::equal(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(common),
                   value.begin())) {
      return true;  // one is a prefix of the other
    }
  }
  return false;
}

Json redact_secret_values(const Json& manifest) {
  Json out = manifest;
  if (!is_secret(manifest)) return out;
  if (auto md = out.find("metadata"); md != out.end() && md->is_object()) {
    if (auto an = md->find("annotations"); an != md->end() && an->is_object()) {
      if (auto la = an->find(kLastAppliedAnnotation); la != an->end()) *la = kRedacted;
    }
  }
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
