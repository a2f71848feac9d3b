// `kix diff`: a build against the live cluster (a dump, or kubectl) or
// against another build. docs/commands/diff.md documents the formats.
#include <iostream>
#include <map>
#include <set>

#include "cli/cluster_cli.h"
#include "cli/diff_render.h"
#include "cli/store_cli.h"
#include "cluster/drift.h"
#include "manifest/document.h"
#include "manifest/manifest.h"
#include "util/error.h"

namespace kix::cli {
namespace {

struct DiffArgs {
  std::string input;
  std::string against;
  std::string live;
  bool kubectl = false;
  std::string context;
  std::string format;
};

// A `kubectl get -A -o json` of a large cluster is one document of a few
// hundred megabytes: far above the limits for hand-written input.
ParseOptions live_parse_options() {
  ParseOptions options;
  options.limits.max_document_bytes = size_t{1} << 30;
  options.limits.max_nodes = size_t{64} << 20;
  return options;
}

// ---- live objects through kubectl -----------------------------------------

// "Deployment.apps", "Service": a type name kubectl resolves without guessing
// between API groups.
std::string kubectl_type(const ResourceId& id) {
  return id.group().empty() ? id.kind : id.kind + "." + id.group();
}

void append_kubectl_objects(ProcessRunner& runner, const std::vector<std::string>& argv,
                            std::vector<Manifest>& out) {
  ProcessResult result = runner.run(argv);
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kIo,
                "kubectl failed (exit " + std::to_string(result.exit_code) + "): " + result.err, {},
                "check the context and your access with: kubectl get ... yourself");
  }
  if (result.out.find_first_not_of(" \t\r\n") == std::string::npos) return;
  Diagnostics ignored;  // kubectl writes plain JSON: nothing to warn about
  append_manifests(parse_json(result.out, "kubectl get", ignored, live_parse_options()), out);
}

// Every live object of the kinds kix manages, in the namespaces it manages
// (namespaced kinds), or by name (cluster-scoped ones): enough to find
// drift and cluster-only leftovers without listing the whole cluster.
std::vector<Manifest> fetch_live(const Graph& desired, const std::string& context) {
  std::vector<std::string> base = {find_kubectl()};
  if (!context.empty()) base.insert(base.end(), {"--context", context});
  std::map<std::string, std::set<std::string>> types_by_namespace;
  std::map<std::string, std::set<std::string>> names_by_cluster_type;
  for (const Manifest& m : desired.manifests) {
    if (m.id.ns.empty()) {
      names_by_cluster_type[kubectl_type(m.id)].insert(m.id.name);
    } else {
      types_by_namespace[m.id.ns].insert(kubectl_type(m.id));
    }
  }
  SystemProcessRunner runner;
  std::vector<Manifest> live;
  for (const auto& [ns, types] : types_by_namespace) {
    std::string joined;
    for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
    auto argv = base;
    argv.insert(argv.end(), {"get", joined, "-n", ns, "-o", "json"});
    append_kubectl_objects(runner, argv, live);
  }
  for (const auto& [type, names] : names_by_cluster_type) {
    auto argv = base;
    argv.insert(argv.end(), {"get", type});
    argv.insert(argv.end(), names.begin(), names.end());
    argv.insert(argv.end(), {"--ignore-not-found", "-o", "json"});
    append_kubectl_objects(runner, argv, live);
  }
  return live;
}

// ---- the command ---------------------------------------------------------------

void run_diff(const DiffArgs& args, Context& ctx) {
  int sources = !args.against.empty() + !args.live.empty() + args.kubectl;
  if (sources != 1) {
    throw Error(ErrorKind::kInvalidInput,
                sources == 0 ? "kix diff needs something to compare with"
                             : "--against, --live and --kubectl exclude each other",
                {}, "use one of --against REF, --live PATH or --kubectl [--context C]");
  }
  if (!args.context.empty() && !args.kubectl) {
    throw Error(ErrorKind::kInvalidInput, "--context only applies with --kubectl");
  }
  ClusterInput left = load_cluster_input(args.input, ctx);
  DiffReport report;
  std::string right_label;
  const Vocabulary* words = &kLiveWords;
  if (!args.against.empty()) {
    ClusterInput right = load_cluster_input(args.against, ctx);
    report = diff_builds(left.graph, right.graph);
    right_label = right.label;
    words = &kBuildWords;
  } else if (!args.live.empty()) {
    Diagnostics diags;
    std::vector<Manifest> live = load_manifests({args.live}, diags, live_parse_options());
    ctx.print_diagnostics(diags);
    report = diff_against_live(left.graph.manifests, live);
    right_label = args.live;
  } else {
    report = diff_against_live(left.graph.manifests, fetch_live(left.graph, args.context));
    right_label = args.context.empty() ? "cluster (current context)" : "cluster " + args.context;
  }
  const std::string left_label = left.label.empty() ? "." : left.label;
  print_diff(report, left_label, right_label, *words, args.format, Colors{ctx.color_stdout});
  ctx.exit_code = report.has_differences() ? kExitDifferent : kExitOk;
}

}  // namespace

void add_diff_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Compare a build with the live cluster or another build; exit 1 when they differ "
      "(docs/commands/diff.md)");
  add_cluster_input_option(cmd, args->input);
  cmd->add_option("--against", args->against, "Another build: a REF, a definition or manifests");
  cmd->add_option("--live", args->live,
                  "Live objects: a directory or file of `kubectl get -o yaml|json` output");
  cmd->add_flag("--kubectl", args->kubectl, "Read live objects with kubectl (KIX_KUBECTL or PATH)");
  cmd->add_option("--context", args->context, "kubectl context (with --kubectl)");
  add_format_option(cmd, args->format, {"text", "json", "markdown"});
  cmd->callback([args, &ctx] { run_diff(*args, ctx); });
}

}  // namespace kix::cli
