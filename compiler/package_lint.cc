#include "compiler/package_lint.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "compiler/cluster_definition.h"
#include "compiler/evaluator.h"
#include "compiler/expression.h"
#include "compiler/package_docs.h"
#include "compiler/package_tests.h"
#include "compiler/template.h"
#include "manifest/document.h"
#include "util/suggest.h"

namespace kix::compiler {

namespace {

namespace fs = std::filesystem;

// The option names one expression reads: `config.x`, `config["x"]`,
// `self.config.x`; `whole` when it uses `config` (or `self`) some other
// way, as a value passed on, so that any option may be read.
struct ConfigReads {
  std::set<std::string> names;
  bool whole = false;
};

bool is_ident(const Expr& e, const char* name) {
  return e.kind == Expr::Kind::kIdent && e.name == name;
}

// `self.config`
bool is_self_config(const Expr& e) {
  return e.kind == Expr::Kind::kMember && e.name == "config" && !e.args.empty() &&
         is_ident(*e.args[0], "self");
}

bool is_config(const Expr& e) {
  return is_ident(e, "config") || is_self_config(e);
}

void collect_config_reads(const Expr& e, ConfigReads& reads) {
  const bool access = (e.kind == Expr::Kind::kMember && !e.method) || e.kind == Expr::Kind::kIndex;
  if (access && !e.args.empty()) {
    const Expr& object = *e.args[0];
    if (is_config(object)) {
      if (e.kind == Expr::Kind::kMember) {
        reads.names.insert(e.name);
        return;
      }
      if (e.args.size() == 2 && e.args[1]->kind == Expr::Kind::kLiteral &&
          e.args[1]->literal.is_string()) {
        reads.names.insert(e.args[1]->literal.get<std::string>());
        return;
      }
      reads.whole = true;  // config[k]: any option
      for (size_t i = 1; i < e.args.size(); ++i) collect_config_reads(*e.args[i], reads);
      return;
    }
    if (is_ident(object, "self") && e.kind == Expr::Kind::kMember) {
      if (e.name == "config") reads.whole = true;  // self.config as a value
      return;                                      // self.name, self.namespace, ...
    }
  }
  if (is_config(e) || is_ident(e, "self")) {
    reads.whole = true;
    return;
  }
  for (const auto& arg : e.args) collect_config_reads(*arg, reads);
}

// One expression of the manifest: its text and where it is written; or,
// with `unterminated`, a string whose `${` has no closing brace.
struct ExpressionSite {
  std::string text;
  std::string pointer;
  bool unterminated = false;
};

// A condition, forEach or key: one expression, written with or without ${ }.
bool is_condition_field(const std::string& pointer) {
  auto last = pointer.rfind('/');
  std::string key = pointer.substr(last + 1);
  if (pointer.rfind("/checks/", 0) == 0) return key == "when" || key == "unless";
  if (pointer.rfind("/resources/", 0) == 0) {
    // /resources/<key>/when, not a `when` field inside a manifest.
    return std::count(pointer.begin(), pointer.end(), '/') == 3 &&
           (key == "when" || key == "forEach" || key == "key");
  }
  return false;
}

void collect_sites(const Json& node, const std::string& pointer,
                   std::vector<ExpressionSite>& sites) {
  if (node.is_string()) {
    const std::string& text = node.get_ref<const std::string&>();
    if (is_condition_field(pointer)) {
      sites.push_back({condition_text(text), pointer});
      return;
    }
    bool unterminated = false;
    for (std::string& e : expressions_in(text, &unterminated)) {
      sites.push_back({std::move(e), pointer});
    }
    if (unterminated) sites.push_back({text, pointer, true});
    return;
  }
  if (!node.is_structured()) return;
  for (const auto& [key, child] : node.items()) {
    const std::string child_pointer = pointer + "/" + json_pointer_escape(key);
    if (node.is_object()) {
      bool unterminated = false;
      for (std::string& e : expressions_in(key, &unterminated)) {
        sites.push_back({std::move(e), child_pointer});
      }
      if (unterminated) sites.push_back({key, child_pointer, true});
    }
    collect_sites(child, child_pointer, sites);
  }
}

// The domain of an option for the firing analysis: its possible values,
// and whether an instance can leave it out with nothing in its place.
std::optional<std::vector<std::optional<Json>>> finite_domain(const Json& schema) {
  std::vector<std::optional<Json>> values;
  if (schema.contains("enum") && schema["enum"].is_array()) {
    for (const Json& v : schema["enum"]) values.emplace_back(v);
  } else if (schema.value("type", "") == "boolean") {
    values = {Json(false), Json(true)};
  } else {
    return std::nullopt;
  }
  if (!schema.contains("default") && schema.value("required", Json(false)) != true) {
    values.emplace_back(std::nullopt);
  }
  return values;
}

class Linter {
 public:
  Linter(const Package& pkg, const SchemaValidator* validator) : pkg_(pkg), validator_(validator) {}

  std::vector<LintFinding> run(const Diagnostics& loaded) {
    for (const Diagnostic& d : loaded.items()) {
      if (d.severity == Severity::kWarning) add(false, "load-warning", d.where, d.message, d.hint);
    }
    const Json& root = pkg_.doc.value;
    for (const char* section : {"let", "checks", "resources", "out", "chart", "tests"}) {
      if (root.contains(section)) {
        collect_sites(root[section], std::string("/") + section, sites_);
      }
    }
    parse_sites();
    lint_names();
    lint_options();
    lint_checks();
    lint_resources();
    lint_documentation();
    lint_tests();
    // package.yaml's findings by line, then the README's and the tests'.
    std::stable_sort(findings_.begin(), findings_.end(),
                     [this](const LintFinding& a, const LintFinding& b) {
                       const bool a_other = a.where.file != pkg_.file;
                       const bool b_other = b.where.file != pkg_.file;
                       if (a_other != b_other) return b_other;
                       return a.where.line < b.where.line;
                     });
    return std::move(findings_);
  }

 private:
  const Package& pkg_;
  const SchemaValidator* validator_;
  std::vector<ExpressionSite> sites_;
  // Per site: its tree (null when it does not parse) and what it reads.
  std::vector<std::unique_ptr<Expr>> trees_;
  std::vector<LintFinding> findings_;
  bool all_parsed_ = true;

  void add(bool is_error, const char* rule, SourceLocation where, std::string message,
           std::string hint) {
    findings_.push_back({is_error, rule, std::move(where), std::move(message), std::move(hint)});
  }

  SourceLocation at(const std::string& pointer) const { return pkg_.doc.locate(pointer); }

  void parse_sites() {
    for (const ExpressionSite& site : sites_) {
      if (site.unterminated) {
        trees_.push_back(nullptr);
        all_parsed_ = false;
        add(true, "expression-syntax", at(site.pointer), "unterminated '${' in template string",
            "close it with '}', or write $${ for a literal ${; in: " + site.text);
        continue;
      }
      try {
        trees_.push_back(parse_expression(site.text));
      } catch (const ExprSyntaxError& e) {
        trees_.push_back(nullptr);
        all_parsed_ = false;
        add(true, "expression-syntax", at(site.pointer), "syntax error in expression: " + e.message,
            "in: ${" + site.text + "}\n" + std::string(e.offset + 6, ' ') + "^");
      }
    }
  }

  void lint_options() {
    ConfigReads all;
    for (size_t i = 0; i < sites_.size(); ++i) {
      if (trees_[i] == nullptr) continue;
      ConfigReads reads;
      collect_config_reads(*trees_[i], reads);
      all.whole = all.whole || reads.whole;
      for (const std::string& name : reads.names) {
        all.names.insert(name);
        if (!pkg_.options.contains(name)) {
          std::vector<std::string> known;
          for (const auto& [option, schema] : pkg_.options.items()) known.push_back(option);
          std::string hint = did_you_mean(name, known);
          add(true, "unknown-option", at(sites_[i].pointer),
              "'" + name + "' is not an option of package '" + pkg_.name + "'",
              hint.empty() ? "declare it under options, or read one of the options there are"
                           : hint);
        }
      }
    }
    // A package whose options reach a chart or a let as a whole may read
    // any of them; an expression that does not parse may read any.
    if (all.whole || !all_parsed_) return;
    for (const auto& [name, schema] : pkg_.options.items()) {
      if (all.names.count(name)) continue;
      add(false, "unused-option", at("/options/" + json_pointer_escape(name)),
          "option '" + name + "' is never read: no expression uses config." + name,
          "use it in a template, or remove it: an instance that sets it then gets an error "
          "instead of a setting with no effect");
    }
  }

  // Every name an expression reads must be in its scope (docs/expressions.md,
  // "Names in scope"): a misspelt need or binding is an error in every build.
  void lint_names() {
    std::vector<std::string> known = {"self", "config", "cluster", "resources", "chart", "each"};
    known.insert(known.end(), pkg_.needs.begin(), pkg_.needs.end());
    known.insert(known.end(), pkg_.optional_needs.begin(), pkg_.optional_needs.end());
    for (const LetBinding& let : pkg_.lets) known.push_back(let.name);
    std::set<std::string> reported;
    for (size_t i = 0; i < sites_.size(); ++i) {
      if (trees_[i] == nullptr) continue;
      for (const std::string& name : free_names(*trees_[i])) {
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        if (!reported.insert(name + "\n" + sites_[i].pointer).second) continue;
        std::string hint = did_you_mean(name, known);
        add(true, "unknown-name", at(sites_[i].pointer),
            "'" + name + "' is not a name expressions of package '" + pkg_.name + "' can read",
            hint.empty() ? "the names in scope are self, config, cluster, resources, each (in "
                           "forEach), chart (in chart values), the needs and the let bindings"
                         : hint);
      }
    }
  }

  // What a condition depends on, through the let bindings it names:
  // the options it reads, or nullopt when it reads anything else.
  std::optional<std::set<std::string>> condition_inputs(const Expr& condition,
                                                        std::set<std::string>& lets_used) {
    std::set<std::string> options;
    std::vector<const Expr*> pending{&condition};
    std::set<std::string> seen_lets;
    while (!pending.empty()) {
      const Expr* e = pending.back();
      pending.pop_back();
      ConfigReads reads;
      collect_config_reads(*e, reads);
      if (reads.whole) return std::nullopt;
      options.insert(reads.names.begin(), reads.names.end());
      for (const std::string& name : free_names(*e)) {
        if (name == "config") continue;
        auto let = std::find_if(pkg_.lets.begin(), pkg_.lets.end(),
                                [&](const LetBinding& l) { return l.name == name; });
        if (let == pkg_.lets.end()) return std::nullopt;  // self, a need, resources, ...
        if (!seen_lets.insert(name).second) continue;
        for (size_t i = 0; i < sites_.size(); ++i) {
          const std::string& p = sites_[i].pointer;
          if (p != let->pointer && p.rfind(let->pointer + "/", 0) != 0) continue;
          if (trees_[i] == nullptr) return std::nullopt;
          pending.push_back(trees_[i].get());
        }
      }
    }
    lets_used = std::move(seen_lets);
    return options;
  }

  void lint_checks() {
    for (const PackageCheck& check : pkg_.checks) {
      const std::string cond_pointer =
          check.pointer + (check.fails_when_true ? "/when" : "/unless");
      std::unique_ptr<Expr> condition;
      try {
        condition = parse_expression(check.condition);
      } catch (const ExprSyntaxError&) {
        continue;  // reported as expression-syntax
      }
      std::set<std::string> lets_used;
      auto inputs = condition_inputs(*condition, lets_used);
      if (!inputs) continue;
      std::vector<std::string> names(inputs->begin(), inputs->end());
      std::vector<std::vector<std::optional<Json>>> domains;
      size_t combinations = 1;
      bool finite = true;
      for (const std::string& name : names) {
        if (!pkg_.options.contains(name)) {
          finite = false;  // unknown-option says so
          break;
        }
        auto domain = finite_domain(pkg_.options[name]);
        if (!domain) {
          finite = false;
          break;
        }
        combinations *= domain->size();
        domains.push_back(std::move(*domain));
        if (combinations > 4096) break;
      }
      if (!finite || combinations > 4096) continue;
      size_t fired = 0;
      bool decided = true;
      std::vector<size_t> choice(names.size(), 0);
      for (size_t n = 0; n < combinations && decided; ++n) {
        Json config = Json::object();
        for (size_t k = 0; k < names.size(); ++k) {
          if (domains[k][choice[k]]) config[names[k]] = *domains[k][choice[k]];
        }
        try {
          MapScope scope;
          scope.set("config", Value(config));
          for (const LetBinding& let : pkg_.lets) {
            if (!lets_used.count(let.name)) continue;
            TemplateSource source{&pkg_.doc, let.pointer};
            scope.set(let.name, render_template(pkg_.doc.value.at(Json::json_pointer(let.pointer)),
                                                source, scope));
          }
          ExprSite site{at(cond_pointer), check.condition};
          bool holds = truthy(evaluate(*condition, scope, site), site);
          if (holds == check.fails_when_true) ++fired;
        } catch (const Error&) {
          decided = false;  // an error for some values: the build says so
        }
        for (size_t k = 0; k < names.size(); ++k) {
          if (++choice[k] < domains[k].size()) break;
          choice[k] = 0;
        }
      }
      if (!decided) continue;
      const std::string over =
          names.empty() ? "whatever the instance (it reads no option)"
                        : "for every value of the options it reads (" + join(names) + ")";
      if (fired == 0) {
        add(false, "check-never-fires", at(cond_pointer),
            std::string("this check can never fire: its condition is ") +
                (check.fails_when_true ? "false " : "true ") + over,
            "fix the condition, or remove the check");
      } else if (fired == combinations) {
        add(check.is_error, "check-always-fires", at(cond_pointer),
            "this check fires " + over +
                (check.is_error ? ", so no instance of the package can build" : ""),
            "fix the condition: `when` names what is wrong, `unless` what must hold");
      }
    }
  }

  static std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  // True when the node at `pointer` of `tmpl`, or one on the way to it, is
  // a string with an expression: its shape is known only once rendered.
  static bool computed(const Json& tmpl, const std::string& pointer) {
    const Json* node = &tmpl;
    size_t start = 1;
    while (true) {
      if (node->is_string() && has_expression(node->get<std::string>())) return true;
      if (node->is_object()) {
        for (const auto& [key, child] : node->items()) {
          if (has_expression(key)) return true;  // a computed key may be the field
        }
      }
      if (start > pointer.size()) return false;
      size_t end = pointer.find('/', start);
      if (end == std::string::npos) end = pointer.size();
      std::string token = pointer.substr(start, end - start);
      for (size_t p; (p = token.find("~1")) != std::string::npos;) token.replace(p, 2, "/");
      for (size_t p; (p = token.find("~0")) != std::string::npos;) token.replace(p, 2, "~");
      start = end + 1;
      if (node->is_object() && node->contains(token)) {
        node = &(*node)[token];
      } else if (node->is_array() && !token.empty() &&
                 std::all_of(token.begin(), token.end(), ::isdigit) &&
                 std::stoul(token) < node->size()) {
        node = &(*node)[std::stoul(token)];
      } else {
        return false;
      }
    }
  }

  void lint_resources() {
    if (validator_ == nullptr) return;
    std::vector<Json> crds;
    for (const ResourceTemplate& t : pkg_.resources) {
      const Json& m = pkg_.doc.value.at(Json::json_pointer(t.pointer));
      if (m.is_object() && m.value("kind", Json()) == "CustomResourceDefinition") crds.push_back(m);
    }
    std::unique_ptr<SchemaValidator> overlay;
    if (!crds.empty()) overlay = validator_->with_crds(crds);
    const SchemaValidator& validator = overlay ? *overlay : *validator_;
    std::set<std::string> unknown;
    for (const ResourceTemplate& t : pkg_.resources) {
      const Json& m = pkg_.doc.value.at(Json::json_pointer(t.pointer));
      if (!m.is_object() || !m.contains("apiVersion") || !m.contains("kind")) continue;
      const Json& api = m["apiVersion"];
      const Json& kind = m["kind"];
      if (!api.is_string() || !kind.is_string() || has_expression(api.get<std::string>()) ||
          has_expression(kind.get<std::string>())) {
        continue;
      }
      const std::string what = api.get<std::string>() + " " + kind.get<std::string>();
      bool known = false;
      std::vector<SchemaViolation> violations = validator.validate(m, &known);
      if (!known) {
        if (unknown.insert(what).second) {
          add(false, "unknown-kind", at(t.pointer + "/kind"),
              "no schema is known for " + what + "; its resources are not validated",
              "add the CRD's schema under schema/ (see schema/README.md)");
        }
        continue;
      }
      for (const SchemaViolation& v : violations) {
        // Only what is wrong whatever the expressions give: a field the
        // kind does not have, written out in the template. Missing fields
        // may be filled by kix (selectors, namespaces) or by an expression.
        if (v.message.rfind("unknown field", 0) != 0) continue;
        std::string parent = v.pointer.substr(0, v.pointer.rfind('/'));
        if (computed(m, parent)) continue;
        add(true, "schema", at(t.pointer + v.pointer),
            kind.get<std::string>() + " template '" + t.key + "': " + v.message + " at " +
                v.pointer,
            "check the field against the Kubernetes API reference for " + what);
      }
    }
  }

  void lint_documentation() {
    if (pkg_.description.empty()) {
      add(false, "undocumented-package", at("/package"), "the package has no description",
          "add `description:` (one or two sentences: what it runs, for whom); kix package docs "
          "puts it in the README");
    }
    for (const auto& [name, schema] : pkg_.options.items()) {
      if (schema.contains("description") && schema["description"].is_string() &&
          !schema["description"].get<std::string>().empty()) {
        continue;
      }
      add(false, "undocumented-option", at("/options/" + json_pointer_escape(name)),
          "option '" + name + "' has no description",
          "add `description:` to it: the README's options table shows it");
    }
    const fs::path readme = pkg_.dir / "README.md";
    const SourceLocation where{readme.string(), 0, 0};
    std::error_code ec;
    if (!fs::exists(readme, ec)) {
      add(true, "readme-missing", where, "the package has no README.md",
          "run `kix package docs --update " + pkg_.dir.string() + "` to write one");
      return;
    }
    const std::string text = read_input(readme.string());
    const std::optional<std::string> wanted = replace_package_docs(text, package_docs(pkg_));
    if (!wanted) {
      add(true, "readme-no-markers", where,
          "README.md has no generated part (the options table and the out contract)",
          std::string("put the lines\n  ") + kPackageDocsBegin + "\n  " + kPackageDocsEnd +
              "\nwhere it belongs, then run `kix package docs --update " + pkg_.dir.string() + "`");
    } else if (*wanted != text) {
      add(true, "readme-outdated", where,
          "README.md's generated part differs from what package.yaml gives",
          "run `kix package docs --update " + pkg_.dir.string() +
              "` (`--check` shows the difference)");
    }
  }

  void lint_tests() {
    if (!find_package_tests(pkg_.dir).empty()) return;
    add(false, "no-test", SourceLocation{(pkg_.dir / "test").string(), 0, 0},
        "the package has no test: no test/cluster.yaml and no test/<case>/cluster.yaml",
        "write a cluster definition that uses the package in test/, then `kix package test " +
            pkg_.dir.string() + " --accept` records its expected output");
  }
};

}  // namespace

std::vector<LintFinding> lint_package(const Package& package, const SchemaValidator* validator,
                                      const Diagnostics& loaded) {
  return Linter(package, validator).run(loaded);
}

}  // namespace kix::compiler
