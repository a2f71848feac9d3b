#include "manifest/secrets.h"

namespace kix {

bool is_secret(const Json& manifest) {
  if (!manifest.is_object()) return false;
  auto kind = manifest.find("kind");
  auto api = manifest.find("apiVersion");
  return kind != manifest.end() && *kind == "Secret" && api != manifest.end() && *api == "v1";
}

Json redact_secret_values(const Json& manifest) {
  Json out = manifest;
  if (!is_secret(manifest)) return out;
  for (const char* field : {"data", "stringData"}) {
    auto it = out.find(field);
    if (it == out.end()) continue;
    if (it->is_object()) {
      for (auto& [key, value] : it->items()) value = kRedacted;
    } else {
      *it = kRedacted;
    }
  }
  return out;
}

}  // namespace kix
