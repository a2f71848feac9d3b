// Resolving the DIR|FILE|REF argument of diff, plan and deploy.
#include <iostream>
#include <map>

#include "cli/cluster_cli.h"
#include "cli/compiler_cli.h"
#include "cli/store_cli.h"
#include "compiler/cluster_definition.h"
#include "compiler/post_deploy_checks.h"
#include "manifest/manifest.h"
#include "manifest/result_dir.h"
#include "store/ref.h"
#include "util/error.h"

namespace kix::cli {
namespace {

namespace fs = std::filesystem;

// A directory holding a cluster definition, or a definition file itself;
// any other file is plain manifests.
std::optional<fs::path> definition_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return compiler::find_definition_file(path);
  if (compiler::is_definition_file_name(path)) return path;
  return std::nullopt;
}

ClusterInput compile_input(const fs::path& definition, const std::string& label, Context& ctx) {
  compiler::Compilation compilation;
  if (!compile_definition(definition.string(), ctx, compilation)) {
    // compile_definition printed every error; nothing was compared or applied.
    throw Error(ErrorKind::kInvalidInput, "the cluster definition " + label + " does not compile",
                {}, "fix the errors above (kix build shows the same), then run the command again");
  }
  ClusterInput input;
  input.cluster = compilation.cluster;
  input.root = compilation.graph.root(compilation.cluster);
  std::vector<std::string> problems;
  for (compiler::PostDeployCheck& check : compiler::derive_checks(compilation, &problems)) {
    input.checks.push_back({check.name, std::move(check.manifest)});
  }
  for (const std::string& p : problems) std::cerr << "warning: post-deploy test " << p << "\n";
  input.checks_known = true;
  input.graph = std::move(compilation.graph);
  input.label = label;
  return input;
}

ClusterInput load_plain(const std::string& path, Context& ctx) {
  Diagnostics diags;
  if (path != "-" && is_result_dir(path)) {
    ResultDir result = read_result_dir(path, diags, &ctx.keys());
    ctx.print_diagnostics(diags);
    ClusterInput input;
    input.graph = std::move(result.graph);
    input.cluster = result.cluster;
    input.root = result.root;
    input.label = path;
    return input;
  }
  std::vector<Manifest> manifests = load_manifests({path}, diags);
  ctx.print_diagnostics(diags);
  check_unique_identities(manifests);
  ClusterInput input;
  input.graph = build_graph_inferred(std::move(manifests), &ctx.keys());
  input.label = path;
  return input;
}

ClusterInput load_from_store(const std::string& ref, Context& ctx) {
  std::unique_ptr<Store> store = open_store(ctx);
  auto snapshot = store->snapshot();
  ResolvedRef resolved = resolve_root_ref(*store, ref);
  RootGraph loaded = store->load_graph(resolved.hash, &ctx.keys());
  ClusterInput input;
  input.graph = std::move(loaded.graph);
  input.cluster = loaded.cluster;
  input.root = loaded.root;
  input.label = ref;
  return input;
}

}  // namespace

void require_checks_known(const ClusterInput& input, const std::string& option,
                          const std::string& hint) {
  if (input.checks_known) return;
  throw Error(
      ErrorKind::kInvalidInput,
      option + "the checks of " + input.label + " are not known: they come from a definition", {},
      hint);
}

ClusterInput load_cluster_input(const std::string& arg, Context& ctx) {
  std::string path = arg.empty() ? "." : arg;
  std::error_code ec;
  if (path == "-") return load_plain(path, ctx);
  if (fs::exists(path, ec)) {
    if (auto definition = definition_file(path)) return compile_input(*definition, path, ctx);
    if (arg.empty()) {
      // The last `kix build` output, as in `kix-diff: ./result vs ...`.
      if (fs::is_directory("result", ec)) return load_plain("./result", ctx);
      throw Error(
          ErrorKind::kNotFound, "no cluster.yaml and no ./result in the current directory", {},
          "name a cluster definition directory, a manifest file or directory, or a store REF");
    }
    return load_plain(path, ctx);
  }
  try {
    return load_from_store(arg, ctx);
  } catch (Error& e) {
    if (e.kind() == ErrorKind::kNotFound) {
      e.with_context("'" + arg + "' is neither a file, a directory nor a REF in the store");
    }
    throw;
  }
}

void add_cluster_input_option(CLI::App* cmd, std::string& input) {
  cmd->add_option("input", input,
                  "Cluster definition directory, manifest file or directory, or store REF "
                  "(default: ./cluster.yaml, else ./result)");
}

}  // namespace kix::cli
