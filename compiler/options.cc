#include "compiler/options.h"

#include <algorithm>

#include "compiler/suggest.h"
#include "compiler/value.h"
#include "store/document.h"

namespace kix::compiler {

namespace {

std::string with_article(const std::string& type) {
  bool vowel = !type.empty() && std::string("aeiou").find(type[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type;
}

// JSON-Schema type names of a value ("array" rather than the language's "list").
std::string schema_type_of(const Json& j) {
  std::string t = type_name(j);
  return t == "list" ? "array" : t;
}

bool matches_type(const std::string& type, const Json& j) {
  if (type == "string") return j.is_string();
  if (type == "integer")
    return j.is_number_integer() ||
           (j.is_number_float() &&
            j.get<double>() == static_cast<double>(static_cast<int64_t>(j.get<double>())));
  if (type == "number") return j.is_number();
  if (type == "boolean") return j.is_boolean();
  if (type == "object") return j.is_object();
  if (type == "array") return j.is_array();
  if (type == "null") return j.is_null();
  return true;
}

class OptionChecker {
 public:
  explicit OptionChecker(const ConfigLocator& locate) : locate_(locate) {}

  Json object(const Json& properties, const Json& value, const std::string& pointer,
              const std::string& path, const Json& schema) {
    Json out = value.is_null() ? Json::object() : value;
    bool closed =
        !schema.contains("additionalProperties") || schema["additionalProperties"] == false;
    std::vector<std::string> known;
    for (const auto& [name, unused] : properties.items()) known.push_back(name);
    for (const auto& [name, v] : out.items()) {
      std::string child_path = path.empty() ? name : path + "." + name;
      std::string child_pointer = pointer + "/" + json_pointer_escape(name);
      if (properties.contains(name)) {
        out[name] = check(properties[name], v, child_pointer, child_path);
      } else if (closed) {
        std::string hint = did_you_mean(name, known);
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        throw Error(
            ErrorKind::kInvalidInput, "unknown option '" + child_path + "'", locate_(child_pointer),
            hint.empty() ? (known.empty() ? "this takes no options" : "known options: " + list)
                         : hint);
      }
    }
    for (const auto& [name, prop] : properties.items()) {
      if (out.contains(name)) continue;
      if (prop.is_object() && prop.contains("default")) {
        out[name] = prop["default"];
      } else if (prop.is_object() && prop.value("type", "") == "object" &&
                 prop.contains("properties")) {
        out[name] = object(prop["properties"], Json::object(), pointer,
                           path.empty() ? name : path + "." + name, prop);
      }
    }
    if (schema.contains("required") && schema["required"].is_array()) {
      for (const auto& r : schema["required"]) {
        if (r.is_string() && !out.contains(r.get<std::string>())) {
          std::string name = r.get<std::string>();
          throw Error(ErrorKind::kInvalidInput,
                      "the option '" + (path.empty() ? name : path + "." + name) + "' is required",
                      locate_(pointer), "add it under config");
        }
      }
    }
    return out;
  }

  Json check(const Json& schema, const Json& value, const std::string& pointer,
             const std::string& path) {
    if (!schema.is_object()) return value;
    if (schema.contains("type") && schema["type"].is_string()) {
      std::string type = schema["type"].get<std::string>();
      if (!matches_type(type, value)) {
        throw Error(ErrorKind::kInvalidInput,
                    "The option '" + path + "' is of type " + type + " but " +
                        with_article(schema_type_of(value)) + " was provided",
                    locate_(pointer));
      }
    }
    if (schema.contains("enum") && schema["enum"].is_array()) {
      const Json& allowed = schema["enum"];
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        throw Error(ErrorKind::kInvalidInput,
                    "The option '" + path + "' must be one of " + allowed.dump() + " but " +
                        value.dump() + " was provided",
                    locate_(pointer));
      }
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
        throw Error(ErrorKind::kInvalidInput,
                    "The option '" + path + "' must be at least " + schema["minimum"].dump() +
                        " but " + value.dump() + " was provided",
                    locate_(pointer));
      }
      if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
        throw Error(ErrorKind::kInvalidInput,
                    "The option '" + path + "' must be at most " + schema["maximum"].dump() +
                        " but " + value.dump() + " was provided",
                    locate_(pointer));
      }
    }
    if (value.is_object() && schema.contains("properties")) {
      return object(schema["properties"], value, pointer, path, schema);
    }
    if (value.is_array() && schema.contains("items")) {
      Json out = Json::array();
      for (size_t i = 0; i < value.size(); ++i) {
        out.push_back(check(schema["items"], value[i], pointer + "/" + std::to_string(i),
                            path + "[" + std::to_string(i) + "]"));
      }
      return out;
    }
    return value;
  }

 private:
  const ConfigLocator& locate_;
};

}  // namespace

Json apply_options(const Json& options, const Json& config, const ConfigLocator& locate) {
  if (!config.is_null() && !config.is_object()) {
    throw Error(ErrorKind::kInvalidInput,
                "'config' must be a map of options, not " + a_type(config), locate(""));
  }
  return OptionChecker(locate).object(options, config, "", "", Json::object());
}

}  // namespace kix::compiler
