// `kix explain KIND/NAME`: which instance and package made a resource, how
// its instance's needs were resolved, which values came from which
// dependency, and which values the instance's patches wrote.
#include <algorithm>
#include <cctype>
#include <iostream>

#include "cli/compiler_cli.h"
#include "compiler/compilation.h"

namespace kix::cli {

namespace {

struct ExplainArgs {
  std::vector<std::string> positionals;  // [DEFINITION] KIND/NAME
  std::string ns;
  std::string format;
};

bool matches(const compiler::CompiledResource& r, const std::string& kind, const std::string& name,
             const std::string& ns) {
  const Json& m = r.manifest;
  std::string k = m.value("kind", "");
  bool kind_ok = k.size() == kind.size() &&
                 std::equal(k.begin(), k.end(), kind.begin(), [](unsigned char a, unsigned char b) {
                   return std::tolower(a) == std::tolower(b);
                 });
  return kind_ok && m["metadata"].value("name", "") == name &&
         (ns.empty() || m["metadata"].value("namespace", "") == ns);
}

size_t find_resource(const compiler::Compilation& c, const std::string& ref,
                     const std::string& ns) {
  auto slash = ref.find('/');
  if (slash == std::string::npos) {
    throw Error(ErrorKind::kInvalidInput, "'" + ref + "' is not KIND/NAME", {},
                "e.g. kix explain Deployment/immich-server");
  }
  std::string kind = ref.substr(0, slash), name = ref.substr(slash + 1);
  std::vector<size_t> found;
  for (size_t i = 0; i < c.resources.size(); ++i) {
    if (matches(c.resources[i], kind, name, ns)) found.push_back(i);
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    throw Error(ErrorKind::kNotFound,
                "no resource " + ref + (ns.empty() ? "" : " in namespace '" + ns + "'") +
                    " in cluster '" + c.cluster + "'",
                {}, "`kix graph --format json` lists every resource");
  }
  std::string list;
  for (size_t i : found) list += "\n  " + describe(c.resources[i]);
  throw Error(ErrorKind::kConflict, ref + " exists in several namespaces:" + list, {},
              "choose one with -n NAMESPACE");
}

std::string target_text(const compiler::Compilation& c, const compiler::Binding& b) {
  if (!b.target) return "null (optional, not found)";
  const auto& dep = c.instances[*b.target].decl;
  return dep.qualified() + " (" + b.how + ")";
}

void print_instance(const compiler::Compilation& c, const compiler::CompiledInstance& inst) {
  std::cout << "  made by instance " << inst.decl.qualified();
  if (inst.package != nullptr) std::cout << " of package '" << inst.package->name << "'";
  std::cout << "\n";
  if (inst.decl.auto_instantiated) {
    std::cout << "    auto-instantiated: " << inst.decl.auto_reason << "\n";
  } else {
    std::cout << "    declared at " << inst.decl.where.str() << "\n";
  }
  if (inst.bindings.empty()) return;
  std::cout << "  needs:\n";
  for (const auto& b : inst.bindings)
    std::cout << "    " << b.need << " -> " << target_text(c, b) << "\n";
}

void print_values(const compiler::Compilation& c, size_t index) {
  const auto& r = c.resources[index];
  bool header = false;
  for (const auto& in : r.interpolations) {
    if (in.prov.empty()) continue;
    // Provenance covers dependencies and this package's own resources
    // (resources.x) alike.
    if (!header) std::cout << "  values read from other resources:\n";
    header = true;
    std::cout << "    " << in.pointer << " = ${" << in.expression << "}\n";
    for (size_t p : in.prov) std::cout << "      from " << describe(c.resources[p]) << "\n";
  }
  if (!r.patched.empty()) std::cout << "  values written by patches of the definition:\n";
  for (const auto& v : r.patched) {
    std::cout << "    " << v.path << " ← " << v.how << " at " << v.where.str() << "\n";
    for (size_t p : v.prov) std::cout << "      from " << describe(c.resources[p]) << "\n";
  }
  if (r.refs.empty()) return;
  std::cout << "  references (its node hash covers theirs):\n";
  for (size_t k = 0; k < r.refs.size(); ++k) {
    std::cout << "    " << describe(c.resources[r.refs[k]]) << "  [" << r.ref_reasons[k] << "]\n";
  }
}

// The same facts as the text, for --format json (schema/output/explain.json).
Json explain_json(const compiler::Compilation& c, size_t index) {
  const auto& r = c.resources[index];
  Json out{{"resource", resource_json(c, index)}};
  if (r.instance == compiler::kNoInstance) {
    out["instance"] = nullptr;
    out["generatedFrom"] = r.rendered_from.empty() ? Json() : Json(r.rendered_from);
    out["template"] = nullptr;
  } else {
    out["instance"] = instance_json(c, c.instances[r.instance]);
    out["generatedFrom"] = nullptr;
    out["template"] = {{"key", r.key}, {"at", r.where.str()}};
  }
  Json values = Json::array();
  for (const auto& in : r.interpolations) {
    if (in.prov.empty()) continue;
    Json from = Json::array();
    for (size_t p : in.prov) from.push_back(resource_json(c, p));
    values.push_back(Json{{"pointer", in.pointer}, {"expression", in.expression}, {"from", from}});
  }
  out["values"] = values;
  Json patches = Json::array();
  for (const auto& v : r.patched) {
    Json from = Json::array();
    for (size_t p : v.prov) from.push_back(resource_json(c, p));
    patches.push_back(Json{{"pointer", v.pointer},
                           {"path", v.path},
                           {"how", v.how},
                           {"at", v.where.str()},
                           {"from", from}});
  }
  out["patches"] = patches;
  Json references = Json::array();
  for (size_t k = 0; k < r.refs.size(); ++k) {
    references.push_back(
        Json{{"resource", resource_json(c, r.refs[k])}, {"reason", r.ref_reasons[k]}});
  }
  out["references"] = references;
  return out;
}

void run_explain(const ExplainArgs& args, Context& ctx) {
  std::string path = ".", ref;
  if (args.positionals.size() == 1) {
    ref = args.positionals[0];
  } else if (args.positionals.size() == 2) {
    path = args.positionals[0];
    ref = args.positionals[1];
  } else {
    throw Error(ErrorKind::kInvalidInput, "kix explain takes [DEFINITION] KIND/NAME");
  }
  compiler::Compilation c;
  if (!compile_definition(path, ctx, c)) return;
  size_t index = find_resource(c, ref, args.ns);
  if (args.format == "json") {
    std::cout << pretty_json(explain_json(c, index)) << "\n";
    return;
  }
  const auto& r = c.resources[index];
  std::cout << describe(r) << "\n";
  std::cout << "  node " << c.graph.nodes[index].hex() << "\n";
  if (r.instance == compiler::kNoInstance) {
    std::cout << "  generated by kix "
              << (r.rendered_from.empty() ? "for the instances of this namespace"
                                          : "from " + r.rendered_from)
              << "\n";
  } else {
    print_instance(c, c.instances[r.instance]);
    std::cout << "  template '" << r.key << "' at " << r.where.str() << "\n";
  }
  print_values(c, index);
}

}  // namespace

void add_explain_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Say which instance and package made a resource and which values came from which dependency");
  cmd->add_option("args", args->positionals, "[DEFINITION] KIND/NAME (DEFINITION defaults to .)")
      ->required()
      ->expected(1, 2);
  cmd->add_option("-n,--namespace", args->ns,
                  "Namespace of the resource, when the name is in several");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_explain(*args, ctx); });
}

}  // namespace kix::cli
