#include "compiler/package.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "compiler/expression.h"
#include "compiler/options.h"
#include "compiler/template.h"
#include "manifest/manifest.h"
#include "util/suggest.h"

namespace kix::compiler {

bool Package::needs_anything(const std::string& need) const {
  return std::find(needs.begin(), needs.end(), need) != needs.end() ||
         std::find(optional_needs.begin(), optional_needs.end(), need) != optional_needs.end();
}

void Package::quote_source(Error& error) const {
  if (error.where().file == file && error.source_line().empty()) {
    error.with_source_line(line_of(text, error.where().line));
  }
}

namespace {

const std::vector<std::string> kTopLevelKeys = {
    "package", "description", "needs",     "optionalNeeds", "provides", "options",
    "let",     "checks",      "resources", "out",           "chart",    "tests"};
const std::vector<std::string> kTestKeys = {"name", "http", "tcp"};
const std::vector<std::string> kChartKeys = {"repository",  "name",   "version",    "namespace",
                                             "releaseName", "values", "includeCRDs"};
const std::vector<std::string> kResourceKeys = {"manifest", "when", "selects", "forEach", "key"};
// Names the expression scope defines; needs and let bindings cannot take them.
const std::vector<std::string> kScopeNames = {"self",      "config", "cluster",
                                              "resources", "chart",  "each"};
const std::vector<std::string> kCheckKeys = {"error", "warn", "when", "unless"};

class Loader {
 public:
  Loader(Package& pkg) : pkg_(pkg) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& message,
                         std::string hint = {}) {
    throw Error(ErrorKind::kInvalidInput, message, pkg_.doc.locate(pointer), std::move(hint));
  }

  void check_keys(const Json& object, const std::string& pointer,
                  const std::vector<std::string>& allowed, const std::string& what) {
    for (const auto& [key, unused] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string hint = did_you_mean(key, allowed);
        fail(pointer + "/" + json_pointer_escape(key), "unknown field '" + key + "' in " + what,
             hint.empty() ? "allowed fields: " + join_names(allowed) : hint);
      }
    }
  }

  std::vector<std::string> names(const Json& root, const char* key) {
    std::vector<std::string> out;
    if (!root.contains(key)) return out;
    const Json& list = root[key];
    std::string pointer = std::string("/") + key;
    if (!list.is_array()) fail(pointer, std::string("'") + key + "' must be a list of names");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string() || list[i].get<std::string>().empty()) {
        fail(pointer + "/" + std::to_string(i),
             std::string("'") + key + "' must be a list of names");
      }
      out.push_back(list[i].get<std::string>());
    }
    return out;
  }

  // Calls `fn(text, pointer)` for every expression in the strings (and
  // interpolated map keys) under `node`, which is at `pointer`.
  static void for_each_expression(
      const Json& node, const std::string& pointer,
      const std::function<void(const std::string&, const std::string&)>& fn) {
    if (node.is_string()) {
      for (const auto& expr : expressions_in(node.get<std::string>())) fn(expr, pointer);
    } else if (node.is_structured()) {
      for (const auto& [key, child] : node.items()) {
        std::string child_pointer = pointer + "/" + json_pointer_escape(key);
        if (node.is_object() && has_expression(key)) {
          for (const auto& expr : expressions_in(key)) fn(expr, child_pointer);
        }
        for_each_expression(child, child_pointer, fn);
      }
    }
  }

  // The names an expression reads; none when it does not parse (rendering
  // reports the syntax error at its line).
  static std::vector<std::string> names_read(const std::string& text) {
    try {
      return free_names(*parse_expression(text));
    } catch (const ExprSyntaxError&) {
      return {};
    }
  }

  // `let:` (docs/packages.md, "Let"): bindings evaluated in the order
  // written, each seeing the ones above it.
  void load_lets(const Json& root) {
    if (!root.contains("let")) return;
    const Json& map = root["let"];
    if (!map.is_object()) {
      fail("/let", "'let' must be a map from a name to a value",
           "e.g. `let: { fullName: \"${self.name}-${config.suffix}\" }`");
    }
    for (const auto& [name, unused] : map.items()) {
      std::string pointer = "/let/" + json_pointer_escape(name);
      pkg_.lets.push_back({name, pointer, pkg_.doc.locate(pointer)});
    }
    // Json maps are sorted by key; the order that matters is the file's.
    std::stable_sort(
        pkg_.lets.begin(), pkg_.lets.end(), [](const LetBinding& a, const LetBinding& b) {
          return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
        });
    for (size_t i = 0; i < pkg_.lets.size(); ++i) {
      const LetBinding& let = pkg_.lets[i];
      if (!is_identifier(let.name)) {
        fail(let.pointer, "let name '" + let.name + "' is not an identifier",
             "use letters, digits and '_', starting with a letter, so expressions can name it");
      }
      if (std::find(kScopeNames.begin(), kScopeNames.end(), let.name) != kScopeNames.end()) {
        fail(let.pointer, "'" + let.name + "' cannot be a let name: kix defines it",
             "rename the binding; " + join_names(kScopeNames) + " are defined by kix");
      }
      if (pkg_.needs_anything(let.name)) {
        fail(let.pointer, "let '" + let.name + "' has the name of a need of this package",
             "rename the binding: expressions could not tell the two apart");
      }
      for_each_expression(
          map[let.name], let.pointer, [&](const std::string& text, const std::string& at) {
            for (const auto& used : names_read(text)) {
              if (used == "resources" || used == "chart") {
                fail(at, "let '" + let.name + "' reads " + used + ", which do not exist yet",
                     "let bindings are evaluated before the resources; compute it in a resource or "
                     "in out instead");
              }
              if (used == "each") {
                fail(at, "let '" + let.name +
                             "' reads each, which exists only inside a forEach "
                             "resource");
              }
              for (size_t j = i; j < pkg_.lets.size(); ++j) {
                if (pkg_.lets[j].name != used) continue;
                if (j == i) fail(at, "let '" + let.name + "' refers to itself");
                fail(at, "let '" + let.name + "' uses '" + used + "', which is defined below it",
                     "a binding sees only the bindings above it: move '" + used + "' up");
              }
            }
          });
    }
  }

  void load_checks(const Json& root) {
    if (!root.contains("checks")) return;
    const Json& list = root["checks"];
    if (!list.is_array()) fail("/checks", "'checks' must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      std::string pointer = "/checks/" + std::to_string(i);
      const Json& c = list[i];
      if (!c.is_object())
        fail(pointer, "a check must be a map with 'error' or 'warn' and 'when' or 'unless'");
      check_keys(c, pointer, kCheckKeys, "a check");
      PackageCheck check;
      check.is_error = c.contains("error");
      if (check.is_error == c.contains("warn"))
        fail(pointer, "a check needs exactly one of 'error' or 'warn' (its message)");
      const Json& message = c[check.is_error ? "error" : "warn"];
      if (!message.is_string()) fail(pointer, "a check's message must be a string");
      check.message = message.get<std::string>();
      check.fails_when_true = c.contains("when");
      if (check.fails_when_true == c.contains("unless")) {
        fail(
            pointer,
            "a check needs exactly one of 'when' (fails when true) or 'unless' (fails when false)");
      }
      const Json& cond = c[check.fails_when_true ? "when" : "unless"];
      if (!cond.is_string()) fail(pointer, "a check's condition must be an expression string");
      check.condition = condition_text(cond.get<std::string>());
      check.pointer = pointer;
      check.where = pkg_.doc.locate(pointer);
      pkg_.checks.push_back(std::move(check));
    }
  }

  // Keys of sibling resources that strings under `node` refer to as
  // `resources.<key>`.
  static void scan_uses(const Json& node, std::set<std::string>& uses) {
    if (node.is_string()) {
      for (const auto& expr : expressions_in(node.get<std::string>())) {
        collect_resource_uses(expr, uses);
      }
    } else if (node.is_structured()) {
      for (const auto& [key, child] : node.items()) {
        if (has_expression(key)) scan_uses(Json(key), uses);
        scan_uses(child, uses);
      }
    }
  }

  void load_resources(const Json& root) {
    if (!root.contains("resources")) return;
    const Json& map = root["resources"];
    if (!map.is_object())
      fail("/resources",
           "'resources' must be a map from a key to {manifest, when, selects, forEach, key}");
    std::vector<ResourceTemplate> unordered;
    for (const auto& [key, r] : map.items()) {
      std::string pointer = "/resources/" + json_pointer_escape(key);
      if (!r.is_object() || !r.contains("manifest")) {
        fail(pointer, "resource '" + key + "' needs a 'manifest' (the Kubernetes object template)");
      }
      check_keys(r, pointer, kResourceKeys, "resource '" + key + "'");
      if (!r["manifest"].is_object())
        fail(pointer + "/manifest", "the manifest of resource '" + key + "' must be a map");
      ResourceTemplate t;
      t.key = key;
      t.pointer = pointer + "/manifest";
      t.where = pkg_.doc.locate(pointer);
      std::set<std::string> uses;
      scan_uses(r["manifest"], uses);
      if (r.contains("when")) {
        if (!r["when"].is_string()) fail(pointer + "/when", "'when' must be an expression string");
        t.when = condition_text(r["when"].get<std::string>());
        scan_uses(Json("${" + t.when + "}"), uses);
      }
      if (r.contains("forEach")) {
        if (!r["forEach"].is_string()) {
          fail(pointer + "/forEach", "'forEach' must be an expression giving a list or a map",
               "e.g. `forEach: ${config.databases}`");
        }
        t.for_each = condition_text(r["forEach"].get<std::string>());
        scan_uses(Json("${" + t.for_each + "}"), uses);
      }
      if (r.contains("key")) {
        if (!t.repeated()) {
          fail(pointer + "/key", "'key' of resource '" + key + "' needs a 'forEach'",
               "'key' names each element of a forEach");
        }
        if (!r["key"].is_string()) {
          fail(pointer + "/key", "'key' must be an expression giving a string",
               "e.g. `key: ${each.value.name}`");
        }
        t.element_key = condition_text(r["key"].get<std::string>());
        scan_uses(Json("${" + t.element_key + "}"), uses);
      }
      if (r.contains("selects")) {
        if (!r["selects"].is_string())
          fail(pointer + "/selects", "'selects' must name a workload resource of this package");
        t.selects = r["selects"].get<std::string>();
        uses.insert(t.selects);
        if (map.contains(t.selects) && map[t.selects].is_object() &&
            map[t.selects].contains("forEach") && !t.repeated()) {
          fail(pointer + "/selects",
               "resource '" + key + "' selects '" + t.selects +
                   "', which is a forEach: there is one workload per element",
               "give '" + key + "' the same forEach, so each element selects its own workload");
        }
      }
      for (const auto& u : uses) {
        if (!map.contains(u)) {
          std::vector<std::string> keys;
          for (const auto& [k, unused] : map.items()) keys.push_back(k);
          fail(pointer,
               "resource '" + key + "' refers to resources." + u +
                   ", which this package does not define",
               did_you_mean(u, keys));
        }
        if (u == key) fail(pointer, "resource '" + key + "' refers to itself");
      }
      t.uses.assign(uses.begin(), uses.end());
      unordered.push_back(std::move(t));
    }
    order_resources(std::move(unordered));
  }

  // Orders templates so that each comes after the ones it uses; a cycle is
  // an error that lists it.
  void order_resources(std::vector<ResourceTemplate> unordered) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < unordered.size(); ++i) index[unordered[i].key] = i;
    std::vector<int> state(unordered.size(), 0);  // 0 new, 1 visiting, 2 done
    std::vector<std::string> stack;
    std::function<void(size_t)> visit = [&](size_t i) {
      if (state[i] == 2) return;
      if (state[i] == 1) {
        std::string cycle;
        auto from = std::find(stack.begin(), stack.end(), unordered[i].key);
        for (auto it = from; it != stack.end(); ++it) cycle += *it + " -> ";
        fail("/resources/" + json_pointer_escape(unordered[i].key),
             "resources refer to each other in a cycle: " + cycle + unordered[i].key);
      }
      state[i] = 1;
      stack.push_back(unordered[i].key);
      for (const auto& u : unordered[i].uses) visit(index.at(u));
      stack.pop_back();
      state[i] = 2;
      pkg_.resources.push_back(unordered[i]);
    };
    for (size_t i = 0; i < unordered.size(); ++i) visit(i);
  }

  void load_chart(const Json& root) {
    if (!root.contains("chart")) return;
    const Json& chart = root["chart"];
    if (!chart.is_object()) {
      fail("/chart", "'chart' must be a map with repository, name and version",
           "see docs/packages.md, \"Charts\"");
    }
    check_keys(chart, "/chart", kChartKeys, "a chart");
    ChartTemplate t;
    t.where = pkg_.doc.locate("/chart");
    auto plain = [&](const char* key) {
      const std::string pointer = std::string("/chart/") + key;
      if (!chart.contains(key)) fail("/chart", std::string("the chart needs '") + key + "'");
      const Json& v = chart[key];
      if (!v.is_string() || v.get<std::string>().empty()) {
        fail(pointer, std::string("'") + key + "' must be a non-empty string");
      }
      std::string text = v.get<std::string>();
      if (text.find("${") != std::string::npos) {
        fail(pointer, std::string("'") + key + "' cannot interpolate",
             "kix lock finds every chart without evaluating anything: write it out");
      }
      return text;
    };
    t.repository = plain("repository");
    t.name = plain("name");
    t.version = plain("version");
    if (chart.contains("includeCRDs")) {
      if (!chart["includeCRDs"].is_boolean())
        fail("/chart/includeCRDs", "'includeCRDs' must be true or false");
      t.include_crds = chart["includeCRDs"].get<bool>();
    }
    pkg_.chart = std::move(t);
  }

  void load(const Json& root) {
    if (!root.is_object()) fail("", "a package manifest must be a map (see docs/packages.md)");
    check_keys(root, "", kTopLevelKeys, "a package manifest");
    if (!root.contains("package") || !root["package"].is_string()) {
      fail("", "a package manifest needs 'package: <name>'");
    }
    std::string declared = root["package"].get<std::string>();
    if (declared != pkg_.name) {
      fail("/package", "package '" + declared + "' is in directory '" + pkg_.name + "'",
           "the package name and its directory name must be the same");
    }
    if (root.contains("description") && root["description"].is_string()) {
      pkg_.description = root["description"].get<std::string>();
    }
    pkg_.needs = names(root, "needs");
    pkg_.optional_needs = names(root, "optionalNeeds");
    pkg_.provides = names(root, "provides");
    for (const char* key : {"needs", "optionalNeeds"}) {
      for (const auto& n : key == std::string("needs") ? pkg_.needs : pkg_.optional_needs) {
        if (std::find(kScopeNames.begin(), kScopeNames.end(), n) != kScopeNames.end()) {
          fail(std::string("/") + key,
               "'" + n + "' cannot be a need: the name is taken by the expression scope",
               "rename the need; " + join_names(kScopeNames) + " are defined by kix");
        }
      }
    }
    for (const auto& n : pkg_.optional_needs) {
      if (std::find(pkg_.needs.begin(), pkg_.needs.end(), n) != pkg_.needs.end()) {
        fail("/optionalNeeds", "'" + n + "' is both a need and an optional need");
      }
    }
    if (root.contains("options")) {
      if (!root["options"].is_object())
        fail("/options", "'options' must be a map from option name to its schema");
      pkg_.options = root["options"];
      validate_option_schemas(
          pkg_.options, [&](const std::string& p) { return pkg_.doc.locate("/options" + p); });
    }
    load_lets(root);
    load_checks(root);
    load_resources(root);
    load_chart(root);
    load_tests(root);
    pkg_.has_out = root.contains("out");
  }

 private:
  // `tests` (docs/packages.md, "Post-deploy tests"): a list of
  // { name, http: { url, body? } } or { name, tcp: { host, port } }; the
  // values are templates, rendered with `out`.
  void load_tests(const Json& root) {
    if (!root.contains("tests")) return;
    const Json& tests = root["tests"];
    if (!tests.is_array()) fail("/tests", "'tests' must be a list of { name, http | tcp }");
    for (size_t i = 0; i < tests.size(); ++i) {
      const std::string at = "/tests/" + std::to_string(i);
      const Json& t = tests[i];
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
        fail(at, "a test needs a name", "e.g. { name: ping, http: { url: ..., body: pong } }");
      }
      for (const auto& [key, value] : t.items()) {
        if (std::find(kTestKeys.begin(), kTestKeys.end(), key) == kTestKeys.end()) {
          std::string hint = did_you_mean(key, kTestKeys);
          fail(at + "/" + key, "unknown field '" + key + "' in a test",
               hint.empty() ? "a test has name and one of http or tcp" : hint);
        }
      }
      if (t.contains("http") == t.contains("tcp")) {
        fail(at, "test '" + t["name"].get<std::string>() + "' needs exactly one of http and tcp");
      }
      const bool http = t.contains("http");
      const Json& probe = http ? t["http"] : t["tcp"];
      const std::vector<std::string> keys =
          http ? std::vector<std::string>{"url", "body"} : std::vector<std::string>{"host", "port"};
      if (!probe.is_object()) fail(at, std::string(http ? "http" : "tcp") + " must be a map");
      for (const auto& [key, value] : probe.items()) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
          std::string hint = did_you_mean(key, keys);
          fail(at + (http ? "/http/" : "/tcp/") + key, "unknown field '" + key + "'",
               hint.empty() ? (http ? "http has url and body" : "tcp has host and port") : hint);
        }
      }
      if (!probe.contains(keys[0]) || (!http && !probe.contains("port"))) {
        fail(at, "test '" + t["name"].get<std::string>() + "' needs " +
                     (http ? "http.url" : "tcp.host and tcp.port"));
      }
    }
  }

  Package& pkg_;
};

}  // namespace

Package load_package(const std::filesystem::path& dir, Diagnostics& diags) {
  Package pkg;
  pkg.dir = dir;
  pkg.name = dir.filename().string();
  std::filesystem::path file = dir / kPackageManifest;
  // Diagnostics show paths below the working directory relative to it.
  std::error_code ec;
  std::filesystem::path shown = std::filesystem::proximate(file, ec);
  pkg.file = (ec || shown.empty() || *shown.begin() == "..") ? file.lexically_normal().string()
                                                             : shown.string();
  pkg.text = read_input(file.string());
  ParseOptions options;
  options.record_locations = true;
  auto docs = parse_yaml(pkg.text, pkg.file, diags, options);
  if (docs.size() != 1) {
    throw Error(ErrorKind::kInvalidInput, "a package manifest must hold exactly one YAML document",
                SourceLocation{pkg.file, 1, 1});
  }
  pkg.doc = std::move(docs[0]);
  try {
    Loader(pkg).load(pkg.doc.value);
  } catch (Error& e) {
    pkg.quote_source(e);
    throw;
  }
  return pkg;
}

}  // namespace kix::compiler
