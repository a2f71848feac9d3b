#include "cluster/live_normalize.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include "manifest/quantity.h"

namespace kix {
namespace {

constexpr const char* kServerMetadata[] = {
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionGracePeriodSeconds",
};

constexpr const char* kServerAnnotations[] = {
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
};

void erase_if_empty(Json& object, const char* key) {
  auto it = object.find(key);
  if (it != object.end() && (it->is_null() || (it->is_object() && it->empty()))) object.erase(it);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<double> quantity_of(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return parse_quantity(value.get_ref<const std::string&>());
  return std::nullopt;
}

// Values the API server omits when they equal the type's zero value, so a
// desired `hostNetwork: false` or `annotations: {}` is absent when read back.
bool is_zero_value(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::boolean:
      return !value.get<bool>();
    case Json::value_t::string:
      return value.get_ref<const std::string&>().empty();
    case Json::value_t::object:
    case Json::value_t::array:
      return value.empty();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return value.get<double>() == 0;
    default:
      return false;
  }
}

// Maps whose values the server rewrites to canonical quantities
// (resources.requests/limits, ResourceQuota hard, Pod overhead), and the
// quantity fields that are not in such a map.
bool holds_quantities(std::string_view parent_key, std::string_view key) {
  return parent_key == "requests" || parent_key == "limits" || parent_key == "hard" ||
         parent_key == "overhead" || parent_key == "capacity" || key == "sizeLimit";
}

std::map<std::string, size_t> names_of(const Json& list) {
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& element = list[i];
    if (!element.is_object()) return {};
    auto name = element.find("name");
    if (name == element.end() || !name->is_string()) return {};
    if (!names.emplace(name->get<std::string>(), i).second) return {};
  }
  return names;
}

Json project(const Json& desired, const Json& live, std::string_view parent_key,
             std::string_view key);

// `key` is the object's own key: its members need it as their parent key
// to know whether they hold quantities.
Json project_object(const Json& desired, const Json& live, std::string_view key) {
  Json out = Json::object();
  for (const auto& [k, want] : desired.items()) {
    auto have = live.find(k);
    if (have != live.end()) {
      out[k] = project(want, *have, key, k);
    } else if (is_zero_value(want)) {
      out[k] = want;
    }
  }
  return out;
}

Json project_array(const Json& desired, const Json& live, std::string_view key) {
  Json out = Json::array();
  auto desired_names = names_of(desired);
  auto live_names = names_of(live);
  if (!desired_names.empty() && !live_names.empty()) {
    for (const Json& element : live) {
      auto match = desired_names.find(element["name"].get<std::string>());
      out.push_back(match == desired_names.end()
                        ? element
                        : project(desired[match->second], element, key, ""));
    }
    return out;
  }
  for (size_t i = 0; i < live.size(); ++i) {
    out.push_back(i < desired.size() ? project(desired[i], live[i], key, "") : live[i]);
  }
  return out;
}

Json project(const Json& desired, const Json& live, std::string_view parent_key,
             std::string_view key) {
  if (desired.is_null()) return desired;  // null asks for "unset"; nothing to compare
  // kix writes an empty value ({}, [], "", false, 0) that the other side
  // spells null: the same "nothing".
  if (live.is_null() && is_zero_value(desired)) return desired;
  if (desired.is_object() && live.is_object()) return project_object(desired, live, key);
  if (desired.is_array() && live.is_array()) return project_array(desired, live, key);
  if (desired == live) return live;
  if (holds_quantities(parent_key, key) && same_quantity(desired, live)) return desired;
  return live;
}

}  // namespace

Json strip_server_fields(const Json& live) {
  Json out = live;
  if (!out.is_object()) return out;
  out.erase("status");
  auto metadata = out.find("metadata");
  if (metadata != out.end() && metadata->is_object()) {
    for (const char* field : kServerMetadata) metadata->erase(field);
    auto annotations = metadata->find("annotations");
    if (annotations != metadata->end() && annotations->is_object()) {
      for (const char* annotation : kServerAnnotations) annotations->erase(annotation);
    }
    erase_if_empty(*metadata, "annotations");
    erase_if_empty(*metadata, "labels");
  }
  return out;
}

Json desired_as_stored(const Json& desired) {
  if (!desired.is_object() || desired.value("kind", "") != "Secret") return desired;
  auto string_data = desired.find("stringData");
  if (string_data == desired.end() || !string_data->is_object()) return desired;
  Json out = desired;
  Json& data = out["data"];
  if (!data.is_object()) data = Json::object();
  for (const auto& [k, v] : string_data->items()) {
    // A null value is the empty string, as the API server decodes it.
    data[k] = v.is_null()
                  ? ""
                  : base64_encode(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
  }
  out.erase("stringData");
  return out;
}

Json project_live(const Json& desired, const Json& live) {
  if (!desired.is_object() || !live.is_object()) return live;
  return project_object(desired, live, "");
}

namespace {

void merge_fields(Json& into, const Json& from) {
  for (const auto& [key, value] : from.items()) {
    Json& slot = into[key];
    if (slot.is_null()) slot = Json::object();
    if (value.is_object()) merge_fields(slot, value);
  }
}

}  // namespace

Json applied_fields(const Json& live, const std::string& manager) {
  Json owned = Json::object();
  if (!live.is_object()) return owned;
  auto metadata = live.find("metadata");
  if (metadata == live.end() || !metadata->is_object()) return owned;
  auto entries = metadata->find("managedFields");
  if (entries == metadata->end() || !entries->is_array()) return owned;
  for (const Json& entry : *entries) {
    if (!entry.is_object() || entry.value("manager", "") != manager ||
        entry.value("operation", "") != "Apply") {
      continue;
    }
    auto fields = entry.find("fieldsV1");
    if (fields != entry.end() && fields->is_object()) merge_fields(owned, *fields);
  }
  return owned;
}

void add_dropped_fields(Json& projected, const Json& desired, const Json& live, const Json& owned) {
  if (!projected.is_object() || !live.is_object() || !owned.is_object()) return;
  for (const auto& [token, children] : owned.items()) {
    // "f:<name>" names an object field; "k:", "v:" and "." are list items
    // and the node itself.
    if (token.rfind("f:", 0) != 0) continue;
    const std::string name = token.substr(2);
    auto have = live.find(name);
    if (have == live.end()) continue;
    auto want = desired.is_object() ? desired.find(name) : desired.end();
    if (!desired.is_object() || want == desired.end()) {
      projected[name] = *have;
      continue;
    }
    auto child = projected.find(name);
    if (child != projected.end() && want->is_object() && have->is_object()) {
      add_dropped_fields(*child, *want, *have, children);
    }
  }
}

bool same_quantity(const Json& a, const Json& b) {
  auto x = quantity_of(a);
  auto y = quantity_of(b);
  if (!x || !y) return false;
  if (*x == *y) return true;
  // "0.1" and "100m" differ in the last bits of a double.
  double scale = std::max(std::fabs(*x), std::fabs(*y));
  return std::fabs(*x - *y) <= scale * 1e-12;
}

}  // namespace kix
