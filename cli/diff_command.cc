// `kix diff`: a build against the live cluster (a dump, or kubectl) or
// against another build. docs/commands/diff.md documents the formats.
#include <iostream>
#include <map>
#include <set>

#include "cli/cluster_cli.h"
#include "cli/deploy_history.h"
#include "cli/diff_render.h"
#include "cli/store_cli.h"
#include "cluster/drift.h"
#include "cluster/kubectl.h"
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

// ---- the command ---------------------------------------------------------------

void run_diff(const DiffArgs& given, Context& ctx) {
  DiffArgs args = given;
  int sources = !args.against.empty() + !args.live.empty() + args.kubectl;
  if (sources > 1) {
    throw Error(ErrorKind::kInvalidInput, "--against, --live and --kubectl exclude each other", {},
                "use one of --against REF, --live PATH or --kubectl [--context C]");
  }
  // With nothing to compare with, the cluster itself (as seed 003 writes
  // `kix diff prod`).
  if (sources == 0) args.kubectl = true;
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
    SystemProcessRunner runner;
    // What kix deployed before through this context: its leftovers are
    // orphans, and their kinds and namespaces are read too.
    std::vector<DeployedBefore> before = deployed_before(left, args.context, ctx);
    std::vector<const Graph*> also;
    for (const DeployedBefore& b : before) also.push_back(&b.graph);
    std::vector<Manifest> live =
        fetch_live_objects(runner, find_kubectl(ctx.env()), args.context, left.graph, also);
    report = diff_against_live(left.graph.manifests, live);
    mark_orphans(report, live, before);
    right_label = args.context.empty() ? "cluster (current context)" : "cluster " + args.context;
  }
  const std::string left_label = left.label.empty() ? "." : left.label;
  print_diff(report, left_label, right_label, *words, args.format, Colors{ctx.color_stdout},
             ctx.utf8_output);
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
