// `kix build`, `kix graph`, `kix explain`: the commands over the compiler.
#include <cstdlib>
#include <iostream>

#include "cli/chart_tools.h"
#include "cli/compiler_cli.h"
#include "cli/data_dir.h"
#include "compiler/compiler.h"
#include "compiler/schema_validator.h"

namespace kix::cli {

namespace {

// KIX_PACKAGES_PATH (colon-separated), then the built-in library.
std::vector<std::filesystem::path> library_paths(const Context& ctx) {
  std::vector<std::filesystem::path> out;
  if (auto env = ctx.env().get("KIX_PACKAGES_PATH")) {
    std::string s = *env;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  out.push_back(data_dir(ctx.env()) / "packages");
  return out;
}

}  // namespace

std::filesystem::path schema_dir(const Context& ctx) {
  if (auto env = ctx.env().get_nonempty("KIX_SCHEMA_DIR")) return *env;
  return data_dir(ctx.env()) / "schema";
}

bool compile_definition(const std::string& path, Context& ctx, compiler::Compilation& out,
                        size_t* warnings, const CompileFlags& flags) {
  Diagnostics diags;
  compiler::CompileOptions options;
  options.definition = path;
  options.library_paths = library_paths(ctx);
  options.builtin_library = options.library_paths.back();
  ChartTools charts(ctx, flags.insecure);
  options.charts = &charts.source();
  options.renderer = &charts.renderer();
  options.locking = flags.locking;
  options.locked = flags.locked;
  options.refetch = flags.refetch;
  options.images = &charts.images();
  options.lock_images = flags.lock_images;
  SchemaValidator validator(schema_dir(ctx));
  options.validator = &validator;
  options.keys = flags.keys != nullptr ? flags.keys : &ctx.keys();
  options.rewrite_resolution = flags.rewrite;
  options.first_paths = flags.first_paths;
  try {
    out = compiler::compile(options, diags);
  } catch (...) {
    if (!flags.quiet_errors) ctx.print_diagnostics(diags);
    throw;
  }
  size_t count = flags.quiet || flags.quiet_errors ? 0 : ctx.print_diagnostics(diags);
  if (warnings != nullptr) *warnings = count;
  if (flags.warning_texts != nullptr) {
    for (const Diagnostic& d : diags.items()) {
      if (d.severity == Severity::kWarning) flags.warning_texts->push_back(d.render());
    }
  }
  if (flags.errors != nullptr) {
    flags.errors->insert(flags.errors->end(), out.errors.begin(), out.errors.end());
  }
  if (out.ok()) return true;
  ctx.exit_code = out.inputs_failed ? kExitError : kExitDifferent;
  if (flags.quiet_errors) return false;
  Colors c{ctx.color_stderr};
  for (const auto& e : out.errors) {
    std::string text = e.render();
    auto pos = text.find("error:");
    if (pos != std::string::npos && c.on)
      text.replace(pos, 6, std::string(c.red()) + c.bold() + "error:" + c.reset());
    std::cerr << text << "\n";
  }
  std::cerr << "build of " << out.definition_file << " failed: " << out.errors.size() << " error"
            << (out.errors.size() == 1 ? "" : "s") << "\n";
  return false;
}

std::string describe(const compiler::CompiledResource& r) {
  const Json& m = r.manifest;
  std::string s = m.value("kind", "") + "/" + m["metadata"].value("name", "");
  std::string ns = m["metadata"].value("namespace", "");
  return ns.empty() ? s : s + " @ " + ns;
}

std::string binding_text(const compiler::Compilation& c, const compiler::CompiledInstance& inst,
                         const compiler::Binding& b) {
  const compiler::InstanceDecl& t = c.instances[*b.target].decl;
  const std::string target = t.ns == inst.decl.ns || t.infrastructure ? t.name : t.qualified();
  std::string how;
  if (b.how == "alias") {
    how = "alias \"" + b.need + "\" in namespace " + t.ns;
  } else if (b.how == "name") {
    how = "by name in namespace " + t.ns;
  } else if (b.how == "infrastructure") {
    how = "from the cluster infrastructure";
  } else if (b.how == "deps") {
    how = "wired by deps";
  } else if (b.how == "auto-instantiated") {
    how = "auto-instantiated from the library";
  } else {
    how = b.how;
  }
  return b.need + " → " + target + " (" + how + ")";
}

Json resource_json(const compiler::Compilation& c, size_t index) {
  const ResourceId& id = c.graph.manifests[index].id;
  return Json{{"node", c.graph.nodes[index].hex()},
              {"apiVersion", id.api_version},
              {"kind", id.kind},
              {"namespace", id.ns},
              {"name", id.name}};
}

Json binding_json(const compiler::Compilation& c, const compiler::Binding& b) {
  return Json{{"need", b.need},
              {"optional", b.optional},
              {"target", b.target ? Json(c.instances[*b.target].decl.qualified()) : Json()},
              {"how", b.how}};
}

Json instance_json(const compiler::Compilation& c, const compiler::CompiledInstance& inst) {
  Json needs = Json::array();
  for (const compiler::Binding& b : inst.bindings) needs.push_back(binding_json(c, b));
  return Json{{"instance", inst.decl.qualified()},
              {"package", inst.package != nullptr ? Json(inst.package->name) : Json()},
              {"autoInstantiated", inst.decl.auto_instantiated},
              {"autoReason", inst.decl.auto_instantiated ? Json(inst.decl.auto_reason) : Json()},
              {"declaredAt", inst.decl.auto_instantiated ? Json() : Json(inst.decl.where.str())},
              {"needs", needs}};
}

void add_compiler_commands(CLI::App& app, Context& ctx) {
  add_build_command(app, ctx);
  add_lock_command(app, ctx);
  add_graph_command(app, ctx);
  add_explain_command(app, ctx);
}

}  // namespace kix::cli
