#include "compiler/options.h"

#include <algorithm>
#include <cmath>

#include "compiler/value.h"
#include "manifest/document.h"
#include "util/suggest.h"

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

const std::vector<std::string> kTypes = {"string", "integer", "number", "boolean",
                                         "object", "array",   "null"};
// What a schema may say. Annotations (title, examples, $comment) are
// accepted and ignored; anything else is most likely a misspelling that
// would otherwise silently not apply.
const std::vector<std::string> kSchemaKeywords = {"type",        "default",  "enum",
                                                  "minimum",     "maximum",  "items",
                                                  "properties",  "required", "additionalProperties",
                                                  "description", "title",    "examples",
                                                  "$comment"};

bool matches_type(const std::string& type, const Json& j) {
  if (type == "string") return j.is_string();
  if (type == "integer") {
    // As JSON Schema defines it: no fraction. 3.0 and 1e300 are integers,
    // so the test must not go through an int64 cast (1e300 does not fit).
    if (j.is_number_integer()) return true;
    if (!j.is_number_float()) return false;
    double d = j.get<double>();
    return std::isfinite(d) && std::trunc(d) == d;
  }
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
    // additionalProperties: absent or false closes the map, true opens it,
    // a schema opens it for values of that schema.
    const Json extra = schema.value("additionalProperties", Json(false));
    bool closed = extra == false;
    std::vector<std::string> known;
    for (const auto& [name, unused] : properties.items()) known.push_back(name);
    for (const auto& [name, v] : out.items()) {
      std::string child_path = path.empty() ? name : path + "." + name;
      std::string child_pointer = pointer + "/" + json_pointer_escape(name);
      if (properties.contains(name)) {
        out[name] = check(properties[name], v, child_pointer, child_path);
      } else if (extra.is_object()) {
        out[name] = check(extra, v, child_pointer, child_path);
      } else if (closed) {
        std::string hint = did_you_mean(name, known);
        throw Error(
            ErrorKind::kInvalidInput, "unknown option '" + child_path + "'", locate_(child_pointer),
            hint.empty()
                ? (known.empty() ? "this takes no options" : "known options: " + join_names(known))
                : hint);
      }
    }
    for (const auto& [name, prop] : properties.items()) {
      if (out.contains(name) || !prop.is_object()) continue;
      std::string child_path = path.empty() ? name : path + "." + name;
      if (prop.contains("default")) {
        // Through the schema, so that the sub-defaults of a defaulted
        // object apply too (the default itself passed at load time).
        out[name] = check(prop, prop["default"], pointer, child_path);
      } else if (prop.value("required", Json(false)) == true) {
        std::string description = prop.value("description", "");
        throw Error(ErrorKind::kInvalidInput, "the option '" + child_path + "' is required",
                    locate_(pointer),
                    "add `" + name + ": ...` under " +
                        (path.empty() ? "the instance's config" : "'" + path + "'") +
                        (description.empty() ? "" : " (" + description + ")"));
      }
      // Otherwise the option is absent (has() is false), an object one
      // included: its sub-defaults apply only when it is given.
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
    const bool typed_extra =
        schema.contains("additionalProperties") && schema["additionalProperties"].is_object();
    if (value.is_object() && (schema.contains("properties") || typed_extra)) {
      return object(schema.value("properties", Json::object()), value, pointer, path, schema);
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

// Checks the option schemas of a package once, when it is loaded, so that
// a malformed schema is an error at its own line rather than a crash or a
// silently ignored rule when an instance is compiled.
class SchemaChecker {
 public:
  explicit SchemaChecker(const ConfigLocator& locate) : locate_(locate) {}

  // `named`: the schema is an option or a property (which may say
  // `required: true`), not the items or extra values of one.
  void check(const Json& schema, const std::string& pointer, const std::string& path,
             bool named = true) {
    if (!schema.is_object()) {
      fail(pointer, "the schema of option '" + path + "' must be a map",
           "e.g. `" + path + ": { type: string, default: \"x\" }`");
    }
    for (const auto& [key, unused] : schema.items()) {
      if (std::find(kSchemaKeywords.begin(), kSchemaKeywords.end(), key) == kSchemaKeywords.end()) {
        std::string hint = did_you_mean(key, kSchemaKeywords);
        fail(pointer + "/" + json_pointer_escape(key),
             "unknown keyword '" + key + "' in the schema of option '" + path + "'",
             hint.empty() ? "supported: " + join_names(kSchemaKeywords) : hint);
      }
    }
    if (schema.contains("type")) {
      const Json& type = schema["type"];
      if (!type.is_string() ||
          std::find(kTypes.begin(), kTypes.end(), type.get<std::string>()) == kTypes.end()) {
        std::string hint = type.is_string() ? did_you_mean(type.get<std::string>(), kTypes) : "";
        fail(pointer + "/type", "option '" + path + "' has an unknown type " + type.dump(),
             hint.empty() ? "one of: " + join_names(kTypes) : hint);
      }
    }
    // The description is the hint of a missing required option.
    for (const char* text : {"description", "title"}) {
      if (schema.contains(text) && !schema[text].is_string()) {
        fail(pointer + "/" + text,
             std::string("'") + text + "' of option '" + path + "' must be a string",
             "quote it, or use YAML's `>-` for a long one");
      }
    }
    for (const char* bound : {"minimum", "maximum"}) {
      if (schema.contains(bound) && !schema[bound].is_number()) {
        fail(pointer + "/" + bound,
             std::string("'") + bound + "' of option '" + path + "' must be a number");
      }
    }
    if (schema.contains("enum") && (!schema["enum"].is_array() || schema["enum"].empty())) {
      fail(pointer + "/enum", "'enum' of option '" + path + "' must be a non-empty list");
    }
    if (schema.contains("required")) {
      const Json& required = schema["required"];
      if (required.is_boolean()) {
        if (!named) {
          fail(pointer + "/required",
               "'required: " + required.dump() + "' applies to a named option, not to '" + path +
                   "'",
               "list the keys that must be given in the enclosing schema: `required: [key]`");
        }
        if (required == true && schema.contains("default")) {
          fail(pointer + "/required",
               "option '" + path + "' is required and has a default, so it is never missing",
               "remove the default or `required: true`");
        }
      } else if (!required.is_array() ||
                 !std::all_of(required.begin(), required.end(),
                              [](const Json& r) { return r.is_string(); })) {
        fail(pointer + "/required", "'required' of option '" + path +
                                        "' must be true, false, or a list of property names");
      }
    }
    if (schema.contains("properties")) {
      const Json& properties = schema["properties"];
      if (!properties.is_object()) {
        fail(pointer + "/properties", "'properties' of option '" + path + "' must be a map");
      }
      for (const auto& [name, child] : properties.items()) {
        check(child, pointer + "/properties/" + json_pointer_escape(name), path + "." + name);
      }
    }
    if (schema.contains("items")) {
      check(schema["items"], pointer + "/items", path + "[]", false);
    }
    if (schema.contains("additionalProperties")) {
      const Json& extra = schema["additionalProperties"];
      if (extra.is_object()) {
        check(extra, pointer + "/additionalProperties", path + ".*", false);
      } else if (!extra.is_boolean()) {
        fail(pointer + "/additionalProperties",
             "'additionalProperties' of option '" + path + "' must be true, false or a schema");
      }
    }
    if (schema.contains("default")) {
      // The default must pass its own schema, or every instance that relies
      // on it would be rejected for a value its author never wrote.
      const std::string at = pointer + "/default";
      ConfigLocator locate_default = [&](const std::string& p) { return locate_(at + p); };
      try {
        OptionChecker(locate_default).check(schema, schema["default"], "", path);
      } catch (Error& e) {
        e.with_context("in the default of option '" + path + "'");
        throw;
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& message,
                         std::string hint = {}) const {
    throw Error(ErrorKind::kInvalidInput, message, locate_(pointer), std::move(hint));
  }

  const ConfigLocator& locate_;
};

}  // namespace

void validate_option_schemas(const Json& options, const ConfigLocator& locate) {
  if (!options.is_object()) {
    throw Error(ErrorKind::kInvalidInput, "'options' must be a map from option name to its schema",
                locate(""));
  }
  SchemaChecker checker(locate);
  for (const auto& [name, schema] : options.items()) {
    checker.check(schema, "/" + json_pointer_escape(name), name);
  }
}

Json apply_options(const Json& options, const Json& config, const ConfigLocator& locate) {
  if (!config.is_null() && !config.is_object()) {
    throw Error(ErrorKind::kInvalidInput,
                "'config' must be a map of options, not " + a_type(config), locate(""));
  }
  return OptionChecker(locate).object(options, config, "", "", Json::object());
}

}  // namespace kix::compiler
