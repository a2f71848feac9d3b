// `kix build`: compile, validate, add to the store as a new generation of
// the cluster, write the result directory, print a summary whose last line
// is the root hash.
#include <future>
#include <iostream>

#include "cli/compiler_cli.h"
#include "cli/source_revision.h"
#include "cli/store_cli.h"
#include "compiler/compiler.h"
#include "manifest/result_dir.h"

namespace kix::cli {

namespace {

struct BuildArgs {
  std::string path = ".";
  std::string out = "result";
  std::string message;
  std::string source_revision;
  bool locked = false;
  bool insecure = false;
  std::string format;
};

// How each need was bound, one line each (binding_text), then the
// optional needs nothing matched. The first kResolutionLines instances with needs; a big
// cluster's full wiring is `kix graph` and `kix explain`.
constexpr size_t kResolutionLines = 40;

void print_resolution(const compiler::Compilation& c, std::ostream& out) {
  size_t shown = 0, hidden = 0;
  for (const auto& inst : c.instances) {
    if (inst.bindings.empty()) continue;
    if (shown == kResolutionLines) {
      ++hidden;
      continue;
    }
    ++shown;
    out << "  " << inst.decl.qualified() << "\n";
    std::string absent;
    for (const compiler::Binding& b : inst.bindings) {
      if (!b.target) {
        absent += (absent.empty() ? "" : ", ") + b.need;
        continue;
      }
      out << "    " << binding_text(c, inst, b) << "\n";
    }
    if (!absent.empty()) out << "    optional, none found: " << absent << "\n";
  }
  if (hidden > 0) {
    out << "  ... and " << hidden << " more instances with needs (kix explain shows each)\n";
  }
}

// A claim without a StorageClass gets the cluster's default one: say so,
// since nothing in the definition does.
void print_default_storage_notes(const compiler::Compilation& c, std::ostream& out) {
  for (const Manifest& m : c.graph.manifests) {
    if (m.id.kind != "PersistentVolumeClaim" || !m.id.group().empty()) continue;
    const Json& spec = m.value.contains("spec") ? m.value["spec"] : Json();
    if (spec.is_object() && spec.contains("storageClassName") &&
        !spec["storageClassName"].is_null()) {
      continue;
    }
    out << "note: " << m.id.display()
        << " names no StorageClass: the cluster's default class applies (declare an instance "
           "aliased storageClass, or set storageClassName)\n";
  }
}

void print_summary(const compiler::Compilation& c, size_t warnings, const AddResult& added,
                   const std::string& out, const Colors& colors) {
  std::cout << "cluster " << colors.bold() << c.cluster << colors.reset() << ": "
            << c.instances.size() << " instances (" << c.auto_instantiated()
            << " auto-instantiated), " << c.resources.size() << " resources, " << warnings
            << " warning" << (warnings == 1 ? "" : "s") << "\n";
  print_resolution(c, std::cout);
  for (const auto& inst : c.instances) {
    if (!inst.decl.auto_instantiated) continue;
    std::cout << "  auto-instantiated " << inst.decl.qualified() << " from package '"
              << inst.decl.package << "' (" << inst.decl.auto_reason << ")\n";
  }
  print_default_storage_notes(c, std::cout);
  std::cout << "stored";
  if (added.generation) std::cout << " generation " << *added.generation << " of " << c.cluster;
  std::cout << ": " << added.new_nodes << " new of " << added.resources << " resources\n";
  std::cout << "wrote " << c.graph.manifests.size() << " manifests to " << out << "\n";
  std::cout << added.root.hex() << "\n";
}

Json build_json(const compiler::Compilation& c, size_t warnings, const AddResult& added,
                const std::string& out) {
  Json instances = Json::array();
  for (const auto& inst : c.instances) instances.push_back(instance_json(c, inst));
  Json generation;
  if (added.generation) generation = {{"cluster", c.cluster}, {"number", *added.generation}};
  return Json{{"cluster", c.cluster}, {"root", added.root.hex()},     {"generation", generation},
              {"output", out},        {"resources", added.resources}, {"newNodes", added.new_nodes},
              {"warnings", warnings}, {"instances", instances}};
}

void run_build(const BuildArgs& args, Context& ctx) {
  // Asking git takes two processes and several milliseconds, a third of a
  // small build: they run while the definition compiles.
  std::future<std::string> git_revision_of_path;
  if (args.source_revision.empty()) {
    try {
      git_revision_of_path =
          std::async(std::launch::async, [path = args.path] { return git_revision(path); });
    } catch (const std::system_error&) {
      // No thread to be had: git is asked after compiling, below.
    }
  }
  compiler::Compilation c;
  size_t warnings = 0;
  CompileFlags flags;
  flags.locked = args.locked;
  flags.insecure = args.insecure;
  if (!compile_definition(args.path, ctx, c, &warnings, flags)) return;
  for (const auto& w : c.graph.warnings) {
    std::cerr << "warning: " << w << "\n";
    ++warnings;
  }
  // Refuse a foreign output directory before the store is even opened.
  check_result_dir(args.out);
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  AddOptions options;
  options.cluster = c.cluster;
  options.message = args.message;
  if (git_revision_of_path.valid()) {
    options.source_revision = git_revision_of_path.get();
  } else {
    options.source_revision =
        args.source_revision.empty() ? git_revision(args.path) : args.source_revision;
  }
  options.time = ctx.now();
  for (const compiler::UsedChart& chart : c.charts) options.sources.push_back(chart.sha256);
  AddResult added;
  // The generation is recorded only once the result is on disk; if
  // recording fails, the previous result is put back.
  write_result_dir(args.out, c.graph, c.cluster, c.graph.root(c.cluster),
                   [&] { added = store.add(c.graph, options); });
  if (args.format == "json") {
    std::cout << pretty_json(build_json(c, warnings, added, args.out)) << "\n";
  } else {
    print_summary(c, warnings, added, args.out, Colors{ctx.color_stdout});
  }
}

}  // namespace

void add_build_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<BuildArgs>();
  CLI::App* cmd = app.add_subcommand(
      "build",
      "Compile a cluster definition, validate it, add it to the store as a new generation of the\n"
      "cluster, and write one YAML file per resource plus `root` into the output directory.\n"
      "Exit code 1 when the definition has errors (failed checks, unresolved needs).");
  cmd->add_option("definition", args->path,
                  "A cluster.yaml, or a directory holding one (default: .)");
  cmd->add_option("-o,--output", args->out,
                  "Result directory: new, empty, or an earlier result, which is replaced "
                  "(default: ./result)");
  cmd->add_option("-m,--message", args->message, "Message recorded with the generation");
  cmd->add_option("--source-revision", args->source_revision,
                  "Source revision recorded with the generation (default: `git rev-parse HEAD` "
                  "of the definition's work tree, +dirty with uncommitted changes)");
  cmd->add_flag("--locked", args->locked,
                "Require kix.lock, and every image in it (docs/lockfile.md)");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP to chart repositories that are not on this machine");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_build(*args, ctx); });
}

}  // namespace kix::cli
