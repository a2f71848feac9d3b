#include "store/json_fields.h"

#include <algorithm>

namespace kix {

const Json& JsonFields::member(const Json& object, const char* key) const {
  if (!object.is_object()) fail(std::string("expected an object holding \"") + key + "\"");
  auto it = object.find(key);
  if (it == object.end()) fail(std::string("missing \"") + key + "\"");
  return *it;
}

const Json& JsonFields::typed(const Json& object, const char* key, bool (Json::*is)() const,
                              const char* type) const {
  const Json& value = member(object, key);
  if (!(value.*is)()) fail(std::string("\"") + key + "\" must be " + type);
  return value;
}

std::string JsonFields::text(const Json& object, const char* key) const {
  return typed(object, key, &Json::is_string, "a string").get<std::string>();
}

int64_t JsonFields::integer(const Json& object, const char* key) const {
  return typed(object, key, &Json::is_number_integer, "an integer").get<int64_t>();
}

bool JsonFields::boolean(const Json& object, const char* key) const {
  return typed(object, key, &Json::is_boolean, "true or false").get<bool>();
}

const Json& JsonFields::list(const Json& object, const char* key) const {
  return typed(object, key, &Json::is_array, "a list");
}

Hash JsonFields::hash(const Json& object, const char* key) const {
  auto h = Hash::from_hex(text(object, key));
  if (!h) fail(std::string("\"") + key + "\" must be a 64-digit hex hash");
  return *h;
}

std::vector<Hash> JsonFields::hashes(const Json& object, const char* key) const {
  std::vector<Hash> out;
  for (const Json& item : list(object, key)) {
    auto h = item.is_string() ? Hash::from_hex(item.get<std::string>()) : std::nullopt;
    if (!h) fail(std::string("\"") + key + "\" lists a non-hash");
    out.push_back(*h);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kix
