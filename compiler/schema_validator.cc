#include "compiler/schema_validator.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <regex>
#include <unordered_map>

#include "compiler/schema_file.h"
#include "manifest/document.h"
#include "util/error.h"
#include "util/suggest.h"

namespace kix {

// One definition: parsed from its span of a schema file the first time a
// manifest reaches it, or given parsed (a CRD's schema).
struct SchemaDefinition {
  const SchemaFile* file = nullptr;  // null when given parsed
  std::string name;
  SchemaFile::Span span;
  mutable std::atomic<bool> ready{false};
  mutable Json value;
};

// All schema files merged: one kind table and one definition table, so a CRD
// schema can refer to ObjectMeta from the Kubernetes file. A CRD overlay
// holds only its own definitions and asks `base` for the rest.
struct LoadedSchemas {
  const LoadedSchemas* base = nullptr;
  std::vector<SchemaFile> files;
  std::deque<SchemaDefinition> storage;  // what the maps point to; never moves
  std::unordered_map<std::string, const SchemaDefinition*> definitions;  // by definition name
  std::unordered_map<std::string, const SchemaDefinition*> kinds;        // "apps/v1/Deployment"

  // The parsed definition named `name`, or null when there is none.
  const Json* definition(const std::string& name) const {
    auto it = definitions.find(name);
    if (it != definitions.end()) return &parsed(*it->second);
    return base ? base->definition(name) : nullptr;
  }

  // The parsed schema of a kind key, or null when none is known.
  const Json* kind(const std::string& key) const {
    auto it = kinds.find(key);
    if (it != kinds.end()) return &parsed(*it->second);
    return base ? base->kind(key) : nullptr;
  }

  bool knows_kind(const std::string& key) const {
    return kinds.count(key) > 0 || (base != nullptr && base->knows_kind(key));
  }

  // Patterns are compiled once; a pattern std::regex cannot parse (a Go RE2
  // feature) is not checked rather than failing every manifest.
  mutable std::mutex regex_mutex;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::regex>> regexes;

  std::shared_ptr<const std::regex> regex(const std::string& pattern) const {
    std::lock_guard lock(regex_mutex);
    auto [it, inserted] = regexes.try_emplace(pattern);
    if (inserted) {
      try {
        it->second = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        it->second = nullptr;
      }
    }
    return it->second;
  }

 private:
  // Double-checked: once `ready` is set the value is never written again, so
  // readers on other threads need no lock.
  const Json& parsed(const SchemaDefinition& definition) const {
    if (definition.ready.load(std::memory_order_acquire)) return definition.value;
    std::lock_guard lock(parse_mutex_);
    if (!definition.ready.load(std::memory_order_relaxed)) {
      Json value = Json::parse(definition.file->definition_text(definition.span), nullptr,
                               /*allow_exceptions=*/false);
      if (value.is_discarded()) {
        const std::string path = definition.file->path.string();
        throw Error(ErrorKind::kCorruption,
                    "schema file " + path + " is not a kix schema file: definition " +
                        definition.name + " at byte " + std::to_string(definition.span.begin) +
                        " is not valid JSON",
                    SourceLocation{path}, "regenerate it with schema/generate.py");
      }
      definition.value = std::move(value);
      definition.ready.store(true, std::memory_order_release);
    }
    return definition.value;
  }

  mutable std::mutex parse_mutex_;
};

namespace {

// Case-insensitive, so that `containerport` suggests `containerPort`.
size_t folded_distance(const std::string& a, const std::string& b) {
  auto fold = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  return edit_distance(fold(a), fold(b));
}

// The closest property name to a misspelled one, or "" when none is close.
std::string suggestion(const std::string& unknown, const Json& properties) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, unknown.size() / 3) + 1;
  for (const auto& [name, ignored] : properties.items()) {
    size_t distance = folded_distance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  }
  return best;
}

const char* json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "null";
  }
}

bool has_type(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    double d = value.get<double>();
    return d == static_cast<double>(static_cast<int64_t>(d));
  }
  return false;
}

size_t utf8_length(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_base64(const std::string& s) {
  size_t padding = 0;
  size_t length = 0;
  for (char c : s) {
    if (c == '\n' || c == '\r') continue;
    ++length;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return false;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return padding <= 2 && length % 4 == 0;
}

// One walk over a manifest. Violations carry the JSON Pointer of the value.
class Walker {
 public:
  Walker(const LoadedSchemas& schemas, std::vector<SchemaViolation>& out)
      : schemas_(schemas), out_(out) {}

  void walk(const Json& value, const Json& schema, std::string& pointer) {
    const Json& resolved = resolve(schema);
    // Kubernetes treats an explicit null as "not set" for every field.
    if (value.is_null()) return;
    if (resolved.value("x-kubernetes-int-or-string", false)) {
      if (!value.is_string() && !has_type(value, "integer")) {
        report(pointer,
               std::string("expected an integer or a string, got ") + json_type_name(value));
      } else if (value.is_string()) {
        check_string(value.get_ref<const std::string&>(), resolved, pointer);
      }
      return;
    }
    if (!check_type(value, resolved, pointer)) return;
    check_enum(value, resolved, pointer);
    check_combinators(value, resolved, pointer);
    if (value.is_string()) check_string(value.get_ref<const std::string&>(), resolved, pointer);
    if (value.is_number()) check_number(value.get<double>(), resolved, pointer);
    if (value.is_object()) walk_object(value, resolved, pointer);
    if (value.is_array()) walk_array(value, resolved, pointer);
  }

 private:
  const Json& resolve(const Json& schema) {
    const Json* current = &schema;
    // A bounded number of hops: a definition that only refers to itself is
    // a broken schema file, not a reason to loop.
    for (int hops = 0; hops < 16; ++hops) {
      // A schema that is not an object (`true`, as JSON Schema allows)
      // constrains nothing that kix checks.
      if (!current->is_object()) return kAnything;
      auto ref = current->find("$ref");
      if (ref == current->end()) return *current;
      const Json* target = schemas_.definition(ref->get<std::string>());
      if (target == nullptr) return kAnything;
      current = target;
    }
    return kAnything;
  }

  void report(const std::string& pointer, std::string message) {
    out_.push_back({pointer.empty() ? "/" : pointer, std::move(message)});
  }

  bool check_type(const Json& value, const Json& schema, const std::string& pointer) {
    auto type = schema.find("type");
    if (type == schema.end()) return true;
    // Read in place: this runs for every value of every manifest.
    auto allows = [&](const Json& t) {
      return t.is_string() && has_type(value, t.get_ref<const std::string&>());
    };
    if (type->is_string() ? allows(*type)
                          : type->is_array() && std::any_of(type->begin(), type->end(), allows)) {
      return true;
    }
    std::string expected;
    auto append = [&](const Json& t) {
      if (t.is_string()) expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
    };
    if (type->is_string()) append(*type);
    if (type->is_array()) std::for_each(type->begin(), type->end(), append);
    report(pointer, "expected " + expected + ", got " + json_type_name(value));
    return false;
  }

  void check_enum(const Json& value, const Json& schema, const std::string& pointer) {
    auto values = schema.find("enum");
    if (values == schema.end() || !values->is_array()) return;
    if (std::find(values->begin(), values->end(), value) != values->end()) return;
    std::string allowed;
    for (const Json& v : *values) allowed += (allowed.empty() ? "" : ", ") + v.dump();
    report(pointer, "value " + value.dump() + " is not one of " + allowed);
  }

  // anyOf/oneOf in Kubernetes structural schemas only narrow values; a value
  // passes when one branch accepts it (oneOf exclusivity is not enforced).
  void check_combinators(const Json& value, const Json& schema, const std::string& pointer) {
    for (const char* keyword : {"anyOf", "oneOf"}) {
      auto branches = schema.find(keyword);
      if (branches == schema.end() || !branches->is_array() || branches->empty()) continue;
      bool matched = false;
      for (const Json& branch : *branches) {
        if (accepts(value, branch, pointer)) {
          matched = true;
          break;
        }
      }
      if (!matched)
        report(pointer,
               std::string("value does not match any of the allowed forms (") + keyword + ")");
    }
    auto all = schema.find("allOf");
    if (all != schema.end() && all->is_array()) {
      std::string p = pointer;
      for (const Json& branch : *all) walk(value, branch, p);
    }
  }

  bool accepts(const Json& value, const Json& schema, const std::string& pointer) {
    std::vector<SchemaViolation> scratch;
    Walker trial(schemas_, scratch);
    std::string p = pointer;
    trial.walk(value, schema, p);
    return scratch.empty();
  }

  void check_string(const std::string& s, const Json& schema, const std::string& pointer) {
    if (auto min = schema.find("minLength");
        min != schema.end() && utf8_length(s) < min->get<size_t>()) {
      report(pointer, "string is shorter than " + min->dump() + " characters");
    }
    if (auto max = schema.find("maxLength");
        max != schema.end() && utf8_length(s) > max->get<size_t>()) {
      report(pointer, "string is longer than " + max->dump() + " characters");
    }
    if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
      auto re = schemas_.regex(pattern->get<std::string>());
      if (re && !std::regex_search(s, *re)) {
        report(pointer,
               "value " + Json(s).dump() + " does not match the pattern " + pattern->dump());
      }
    }
    if (auto format = schema.find("format");
        format != schema.end() && *format == "byte" && !is_base64(s)) {
      report(pointer, "value is not valid base64 (use stringData for plain text)");
    }
  }

  void check_number(double n, const Json& schema, const std::string& pointer) {
    if (auto min = schema.find("minimum"); min != schema.end() && n < min->get<double>()) {
      report(pointer, "value must be at least " + min->dump());
    }
    if (auto max = schema.find("maximum"); max != schema.end() && n > max->get<double>()) {
      report(pointer, "value must be at most " + max->dump());
    }
  }

  void walk_object(const Json& value, const Json& schema, std::string& pointer) {
    if (auto required = schema.find("required"); required != schema.end()) {
      for (const Json& name : *required) {
        if (!value.contains(name.get<std::string>())) {
          report(pointer, "missing required field \"" + name.get<std::string>() + "\"");
        }
      }
    }
    auto properties = schema.find("properties");
    auto additional = schema.find("additionalProperties");
    bool preserve_unknown = schema.value("x-kubernetes-preserve-unknown-fields", false);
    bool has_properties = properties != schema.end() && !properties->empty();
    for (const auto& [key, child] : value.items()) {
      const size_t mark = pointer.size();
      pointer += '/';
      pointer += json_pointer_escape(key);
      const Json* child_schema = nullptr;
      if (has_properties) {
        if (auto it = properties->find(key); it != properties->end()) child_schema = &*it;
      }
      if (!child_schema && additional != schema.end() && additional->is_object())
        child_schema = &*additional;
      if (child_schema) {
        walk(child, *child_schema, pointer);
      } else if (is_unknown_field(has_properties, additional, schema.end(), preserve_unknown)) {
        std::string message = "unknown field \"" + key + "\"";
        if (has_properties) {
          std::string close = suggestion(key, *properties);
          if (!close.empty()) message += " (did you mean \"" + close + "\"?)";
        }
        report(pointer, std::move(message));
      }
      pointer.resize(mark);
    }
  }

  // kubeconform's strict mode: an object schema that lists its properties
  // and says nothing about others accepts no others.
  static bool is_unknown_field(bool has_properties, Json::const_iterator additional,
                               Json::const_iterator end, bool preserve_unknown) {
    if (additional != end && additional->is_boolean()) return !additional->get<bool>();
    if (preserve_unknown) return false;
    return has_properties;
  }

  void walk_array(const Json& value, const Json& schema, std::string& pointer) {
    if (auto min = schema.find("minItems");
        min != schema.end() && value.size() < min->get<size_t>()) {
      report(pointer, "list has fewer than " + min->dump() + " items");
    }
    if (auto max = schema.find("maxItems");
        max != schema.end() && value.size() > max->get<size_t>()) {
      report(pointer, "list has more than " + max->dump() + " items");
    }
    auto items = schema.find("items");
    if (items == schema.end() || !items->is_object()) return;
    for (size_t i = 0; i < value.size(); ++i) {
      const size_t mark = pointer.size();
      pointer += '/';
      pointer += std::to_string(i);
      walk(value[i], *items, pointer);
      pointer.resize(mark);
    }
  }

  static inline const Json kAnything = Json::object();
  const LoadedSchemas& schemas_;
  std::vector<SchemaViolation>& out_;
};

std::string kind_key(const std::string& api_version, const std::string& kind) {
  return api_version + "/" + kind;
}

}  // namespace

SchemaValidator::SchemaValidator(std::filesystem::path schema_dir) : dir_(std::move(schema_dir)) {}
SchemaValidator::~SchemaValidator() = default;

const LoadedSchemas& SchemaValidator::schemas() const {
  std::call_once(loaded_, [this] {
    auto loaded = std::make_unique<LoadedSchemas>();
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    if (files.empty()) {
      throw Error(ErrorKind::kNotFound, "no schema files in " + dir_.string(), SourceLocation{},
                  "set KIX_SCHEMA_DIR to the schema/ directory of the kix sources or installation");
    }
    std::sort(files.begin(), files.end());
    loaded->files.reserve(files.size());
    for (const auto& path : files) loaded->files.push_back(read_schema_file(path));
    // A later file's definition of the same name wins, as one merged table.
    for (const SchemaFile& file : loaded->files) {
      for (const auto& [name, span] : file.definitions) {
        SchemaDefinition& definition = loaded->storage.emplace_back();
        definition.file = &file;
        definition.name = name;
        definition.span = span;
        loaded->definitions[name] = &definition;
      }
    }
    for (const SchemaFile& file : loaded->files) {
      for (const auto& [key, name] : file.kinds) {
        auto definition = loaded->definitions.find(name);
        if (definition != loaded->definitions.end()) loaded->kinds[key] = definition->second;
      }
    }
    schemas_ = std::move(loaded);
  });
  return *schemas_;
}

std::unique_ptr<SchemaValidator> SchemaValidator::with_crds(const std::vector<Json>& crds) const {
  const LoadedSchemas& base = schemas();
  auto loaded = std::make_unique<LoadedSchemas>();
  loaded->base = &base;
  for (const Json& crd : crds) {
    const Json& spec = crd.value("spec", Json::object());
    if (!spec.is_object() || !spec.contains("group") || !spec["group"].is_string() ||
        !spec.contains("names") || !spec["names"].is_object() || !spec["names"].contains("kind") ||
        !spec["names"]["kind"].is_string() || !spec.contains("versions") ||
        !spec["versions"].is_array()) {
      continue;  // the CRD's own schema check reports what is wrong with it
    }
    const std::string group = spec["group"].get<std::string>();
    const std::string kind = spec["names"]["kind"].get<std::string>();
    for (const Json& version : spec["versions"]) {
      if (!version.is_object() || !version.contains("name") || !version["name"].is_string() ||
          !version.value("served", true)) {
        continue;
      }
      const Json* schema = nullptr;
      if (version.contains("schema") && version["schema"].is_object() &&
          version["schema"].contains("openAPIV3Schema") &&
          version["schema"]["openAPIV3Schema"].is_object()) {
        schema = &version["schema"]["openAPIV3Schema"];
      }
      if (schema == nullptr) continue;
      Json definition = *schema;
      definition["properties"]["metadata"] = {
          {"$ref", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}};
      if (!definition["properties"].contains("apiVersion")) {
        definition["properties"]["apiVersion"] = {{"type", "string"}};
      }
      if (!definition["properties"].contains("kind")) {
        definition["properties"]["kind"] = {{"type", "string"}};
      }
      SchemaDefinition& stored = loaded->storage.emplace_back();
      stored.name = "crd:" + group + "." + version["name"].get<std::string>() + "." + kind;
      stored.value = std::move(definition);
      stored.ready = true;
      loaded->definitions[stored.name] = &stored;
      loaded->kinds[group + "/" + version["name"].get<std::string>() + "/" + kind] = &stored;
    }
  }
  auto overlay = std::unique_ptr<SchemaValidator>(new SchemaValidator(dir_));
  std::call_once(overlay->loaded_, [&] { overlay->schemas_ = std::move(loaded); });
  return overlay;
}

bool SchemaValidator::knows(const std::string& api_version, const std::string& kind) const {
  return schemas().knows_kind(kind_key(api_version, kind));
}

std::vector<SchemaViolation> SchemaValidator::validate(const Json& manifest,
                                                       bool* schema_known) const {
  const LoadedSchemas& loaded = schemas();
  if (schema_known) *schema_known = false;
  std::vector<SchemaViolation> violations;
  if (!manifest.is_object()) {
    violations.push_back({"/", "a manifest must be an object"});
    return violations;
  }
  auto api_version = manifest.find("apiVersion");
  auto kind = manifest.find("kind");
  if (api_version == manifest.end() || kind == manifest.end() || !api_version->is_string() ||
      !kind->is_string()) {
    return violations;
  }
  const Json* schema =
      loaded.kind(kind_key(api_version->get<std::string>(), kind->get<std::string>()));
  if (schema == nullptr) return violations;
  if (schema_known) *schema_known = true;
  std::string pointer;
  Walker(loaded, violations).walk(manifest, *schema, pointer);
  return violations;
}

}  // namespace kix
