// `kix build`: compile, validate, add to the store as a new generation of
// the cluster, write the result directory, print a summary whose last line
// is the root hash.
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
};

void print_summary(const compiler::Compilation& c, size_t warnings, const AddResult& added,
                   const std::string& out, const Colors& colors) {
  std::cout << "cluster " << colors.bold() << c.cluster << colors.reset() << ": "
            << c.instances.size() << " instances (" << c.auto_instantiated()
            << " auto-instantiated), " << c.resources.size() << " resources, " << warnings
            << " warning" << (warnings == 1 ? "" : "s") << "\n";
  for (const auto& inst : c.instances) {
    if (!inst.decl.auto_instantiated) continue;
    std::cout << "  auto-instantiated " << inst.decl.qualified() << " from package '"
              << inst.decl.package << "' (" << inst.decl.auto_reason << ")\n";
  }
  std::cout << "stored";
  if (added.generation) std::cout << " generation " << *added.generation << " of " << c.cluster;
  std::cout << ": " << added.new_nodes << " new of " << added.resources << " resources\n";
  std::cout << "wrote " << c.graph.manifests.size() << " manifests to " << out << "\n";
  std::cout << added.root.hex() << "\n";
}

void run_build(const BuildArgs& args, Context& ctx) {
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
  options.source_revision =
      args.source_revision.empty() ? git_revision(args.path) : args.source_revision;
  options.time = ctx.now();
  for (const compiler::UsedChart& chart : c.charts) options.sources.push_back(chart.sha256);
  AddResult added;
  // The generation is recorded only once the result is on disk; if
  // recording fails, the previous result is put back.
  write_result_dir(args.out, c.graph, c.cluster, c.graph.root(c.cluster),
                   [&] { added = store.add(c.graph, options); });
  print_summary(c, warnings, added, args.out, Colors{ctx.color_stdout});
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
  cmd->callback([args, &ctx] { run_build(*args, ctx); });
}

}  // namespace kix::cli
