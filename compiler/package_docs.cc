#include "compiler/package_docs.h"

#include <algorithm>

#include "util/markdown.h"

namespace kix::compiler {

namespace {

// `text` on one line: runs of white space (line breaks of a folded YAML
// string included) as one space.
std::string one_line(const std::string& text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

// `text` in a table cell: GitHub splits cells at a pipe, even in code.
std::string cell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string code(const std::string& text) {
  return markdown_code(text);
}

std::string names(const std::vector<std::string>& list) {
  if (list.empty()) return "none";
  std::string out;
  for (const std::string& n : list) out += (out.empty() ? "" : ", ") + code(n);
  return out;
}

std::string option_row(const std::string& name, const Json& schema) {
  std::string type = schema.contains("type") && schema["type"].is_string()
                         ? schema["type"].get<std::string>()
                         : "any";
  std::string fallback = "—";
  if (schema.contains("default")) {
    fallback = code(one_line(readable_json(schema["default"])));
  } else if (schema.value("required", Json(false)) == true) {
    fallback = "**required**";
  }
  std::string description;
  if (schema.contains("description") && schema["description"].is_string()) {
    // "<instance>" would be read as an HTML tag and vanish.
    for (char ch : one_line(schema["description"].get<std::string>())) {
      if (ch == '<' || ch == '>') description += '\\';
      description += ch;
    }
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    std::string choices;
    for (const Json& choice : schema["enum"]) {
      choices += (choices.empty() ? "" : ", ") + code(one_line(readable_json(choice)));
    }
    description += (description.empty() ? "" : " ") + std::string("One of ") + choices + ".";
  }
  return "| " + cell(code(name)) + " | " + cell(type) + " | " + cell(fallback) + " | " +
         cell(description) + " |\n";
}

}  // namespace

std::string readable_json(const Json& value) {
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      out += (first ? "" : ", ") + Json(key).dump() + ": " + readable_json(item);
      first = false;
    }
    return out + "}";
  }
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + readable_json(value[i]);
    return out + "]";
  }
  return value.dump();
}

std::string package_docs(const Package& p) {
  std::string out = std::string(kPackageDocsBegin) + "\n\n## Signature\n\n";
  out += "- needs: " + names(p.needs) + "\n";
  out += "- optional needs (null when nothing matches): " + names(p.optional_needs) + "\n";
  std::vector<std::string> auto_names{p.name};
  for (const std::string& n : p.provides) auto_names.push_back(n);
  out +=
      "- auto-instantiated (from `availablePackages`, or the library for a required need) "
      "for a need named: " +
      names(auto_names) + "\n";

  out += "\n## Options\n\n";
  if (p.options.empty()) {
    out += "None.\n";
  } else {
    out += "| option | type | default | description |\n|---|---|---|---|\n";
    for (const auto& [name, schema] : p.options.items()) out += option_row(name, schema);
  }

  out += "\n## Out (what dependents read)\n\n";
  const Json* o =
      p.doc.value.is_object() && p.doc.value.contains("out") ? &p.doc.value["out"] : nullptr;
  if (o == nullptr || !o->is_object() || o->empty()) {
    out += "Nothing: dependents read only the instance's name and namespace.\n";
  } else {
    std::vector<std::string> fields;
    for (const auto& [key, value] : o->items()) {
      fields.push_back(key);
      out += "- " + code(key) + ": " +
             code(one_line(value.is_string() ? value.get<std::string>() : readable_json(value))) +
             "\n";
    }
    out +=
        "\nAn instance of something kix does not deploy can stand in for it: declare it with "
        "`external: true` and give these fields by hand under `out` (" +
        names(fields) + ").\n";
  }
  return out + "\n" + kPackageDocsEnd + "\n";
}

Json package_docs_json(const Package& p) {
  std::vector<std::string> auto_names{p.name};
  for (const std::string& n : p.provides) auto_names.push_back(n);
  const Json* o =
      p.doc.value.is_object() && p.doc.value.contains("out") ? &p.doc.value["out"] : nullptr;
  return Json{{"package", p.name},
              {"description", p.description},
              {"needs", p.needs},
              {"optionalNeeds", p.optional_needs},
              {"autoInstantiatedFor", auto_names},
              {"options", p.options},
              {"out", o != nullptr && o->is_object() ? *o : Json::object()}};
}

std::string new_package_readme(const Package& p) {
  std::string out = "# " + p.name + "\n\n";
  if (!p.description.empty()) out += one_line(p.description) + "\n\n";
  return out + package_docs(p);
}

std::optional<std::string> replace_package_docs(const std::string& readme,
                                                const std::string& docs) {
  size_t begin = readme.find(kPackageDocsBegin);
  if (begin == std::string::npos) return std::nullopt;
  size_t end = readme.find(kPackageDocsEnd, begin);
  if (end == std::string::npos) return std::nullopt;
  end += std::string_view(kPackageDocsEnd).size();
  if (end < readme.size() && readme[end] == '\n') ++end;
  return readme.substr(0, begin) + docs + readme.substr(end);
}

}  // namespace kix::compiler
