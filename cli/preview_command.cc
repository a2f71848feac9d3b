// `kix preview`: build the part of the working tree that changed against a
// base root into a namespace of its own (compiler/preview.h), and destroy
// such a preview again. docs/commands/preview.md documents it.
#include <algorithm>
#include <iostream>
#include <set>

#include "cli/cluster_cli.h"
#include "cli/compiler_cli.h"
#include "cli/deploy_history.h"
#include "cli/source_revision.h"
#include "cli/store_cli.h"
#include "cluster/deploy.h"
#include "cluster/kubectl.h"
#include "cluster/prune.h"
#include "compiler/cluster_definition.h"
#include "compiler/preview.h"
#include "manifest/cluster_name.h"
#include "manifest/result_dir.h"
#include "store/deploy_record.h"
#include "util/error.h"
#include "util/markdown.h"

namespace kix::cli {
namespace {

struct PreviewArgs {
  std::string path = ".";
  std::string base;
  std::string name;
  std::string out;
  std::string format = "text";
  std::string message;
  std::string source_revision;
  bool locked = false;
  bool insecure = false;
  // --destroy
  std::string destroy;
  bool dry_run = false;
  std::string context;
};

using compiler::PreviewInstance;
using compiler::PreviewPlan;
using compiler::PreviewRole;

// One instance of the report: what the preview made of it.
struct ReportEntry {
  const compiler::CompiledInstance* instance;
  const PreviewInstance* plan;
  std::vector<std::string> resources;  // "Kind/name @ namespace"
  uint64_t bytes = 0;
};

struct PreviewReport {
  std::string cluster;
  std::string history;
  std::string base_label;
  Hash base_root;
  const PreviewPlan* plan = nullptr;
  std::vector<ReportEntry> created, reused, left_out;
  std::vector<std::string> cross_namespace;
  AddResult added;
  std::string out;
  Hash root;
};

uint64_t total_bytes(const std::vector<ReportEntry>& entries) {
  uint64_t n = 0;
  for (const ReportEntry& e : entries) n += e.bytes;
  return n;
}

size_t total_resources(const std::vector<ReportEntry>& entries) {
  size_t n = 0;
  for (const ReportEntry& e : entries) n += e.resources.size();
  return n;
}

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string package_of(const ReportEntry& e) {
  return e.instance->decl.package.empty() ? "external" : e.instance->decl.package;
}

PreviewReport make_report(const compiler::Compilation& working,
                          const compiler::Compilation& preview, const PreviewPlan& plan) {
  PreviewReport report;
  report.plan = &plan;
  // The preview's resources, by the instance they came from (the preview
  // compilation keeps instances in the working tree's order, without the
  // left-out ones).
  std::map<std::string, std::pair<std::vector<std::string>, uint64_t>> made;  // by name@base ns
  for (size_t k = 0; k < preview.graph.manifests.size(); ++k) {
    const size_t i = preview.resources[k].instance;
    if (i == compiler::kNoInstance) continue;
    const compiler::InstanceDecl& d = preview.instances[i].decl;
    auto& [ids, bytes] = made[d.ns + "/" + d.name];
    ids.push_back(preview.graph.manifests[k].id.display());
    bytes += preview.graph.manifests[k].canonical.size();
  }
  for (size_t i = 0; i < working.instances.size(); ++i) {
    const PreviewInstance& p = plan.instances[i];
    ReportEntry e{&working.instances[i], &p, {}, 0};
    switch (p.role) {
      case PreviewRole::kChanged:
      case PreviewRole::kDependent: {
        auto it = made.find(p.preview_namespace + "/" + working.instances[i].decl.name);
        if (it != made.end()) std::tie(e.resources, e.bytes) = it->second;
        report.created.push_back(std::move(e));
        break;
      }
      case PreviewRole::kReused:
      case PreviewRole::kLeftOut:
        for (const ResourceId& id : p.base_resources) e.resources.push_back(id.display());
        e.bytes = p.base_bytes;
        (p.role == PreviewRole::kReused ? report.reused : report.left_out).push_back(std::move(e));
        break;
    }
  }
  return report;
}

Json entries_json(const std::vector<ReportEntry>& entries) {
  Json list = Json::array();
  for (const ReportEntry& e : entries) {
    Json j{{"instance", e.instance->decl.name},
           {"namespace", e.instance->decl.ns},
           {"package", e.instance->decl.package},
           {"role", compiler::preview_role_name(e.plan->role)},
           {"reason", e.plan->reason},
           {"resources", e.resources},
           {"bytes", e.bytes}};
    if (!e.plan->preview_namespace.empty()) j["previewNamespace"] = e.plan->preview_namespace;
    list.push_back(std::move(j));
  }
  return list;
}

void print_json(const PreviewReport& r, std::ostream& out) {
  Json j{{"preview", r.plan->name},
         {"cluster", r.cluster},
         {"history", r.history},
         {"base", {{"ref", r.base_label}, {"root", r.base_root.hex()}}},
         {"namespaces", r.plan->namespaces},
         {"created", entries_json(r.created)},
         {"reused", entries_json(r.reused)},
         {"leftOut", entries_json(r.left_out)},
         {"crossNamespace", r.cross_namespace},
         {"root", r.root.hex()},
         {"generation", r.added.generation ? Json(*r.added.generation) : Json(nullptr)},
         {"newResources", r.added.new_nodes},
         {"output", r.out}};
  out << pretty_json(j) << "\n";
}

std::string namespaces_text(const PreviewPlan& plan) {
  std::string s;
  for (const auto& [from, to] : plan.namespaces) {
    s += (s.empty() ? "" : ", ") + (plan.namespaces.size() == 1 ? to : from + " -> " + to);
  }
  return s;
}

void print_text(const PreviewReport& r, const Colors& c, std::ostream& out) {
  out << "preview " << c.bold() << r.plan->name << c.reset() << " of " << r.cluster << " against "
      << r.base_label << " (root " << r.base_root.hex().substr(0, 12) << "), in namespace"
      << (r.plan->namespaces.size() == 1 ? " " : "s ") << namespaces_text(*r.plan) << "\n";
  out << "created " << plural(r.created.size(), "instance") << ", "
      << plural(total_resources(r.created), "resource") << " ("
      << human_bytes(total_bytes(r.created)) << "):\n";
  for (const ReportEntry& e : r.created) {
    out << "  " << c.green() << e.plan->preview_namespace << "/" << e.instance->decl.name
        << c.reset() << " (" << package_of(e) << "): " << e.plan->reason << "\n";
  }
  out << "reused from the base " << plural(r.reused.size(), "instance") << ", "
      << plural(total_resources(r.reused), "resource") << " (" << human_bytes(total_bytes(r.reused))
      << "):\n";
  for (const ReportEntry& e : r.reused) {
    out << "  " << e.instance->decl.qualified() << " (" << package_of(e) << ", "
        << plural(e.resources.size(), "resource") << "): " << e.plan->reason << "\n";
  }
  if (!r.left_out.empty()) {
    out << "left out, unchanged and not needed: ";
    for (size_t i = 0; i < r.left_out.size(); ++i) {
      out << (i ? ", " : "") << r.left_out[i].instance->decl.qualified();
    }
    out << "\n";
  }
  out << "stored generation " << r.added.generation.value_or(0) << " of " << r.history << ": "
      << r.added.new_nodes << " new of " << r.added.resources << " resources\n";
  out << "wrote " << total_resources(r.created) << " manifests (and the preview's Namespace"
      << (r.plan->namespaces.size() == 1 ? "" : "s") << ") to " << r.out << "\n";
  out << r.root.hex() << "\n";
}

// For a pull request comment: the summary first, then one row per
// instance and the cross-namespace notes while they fit below GitHub's
// comment limit (`--format json` lists everything).
void print_markdown(const PreviewReport& r, std::ostream& out) {
  auto code = [](const std::string& s) { return markdown_cell_code(s); };
  MarkdownBudget b;
  b.out = "### kix preview " + code(r.plan->name) + " of " + code(r.cluster) + "\n\n";
  b.out += "Against " + code(r.base_label) + " (root " + code(r.base_root.hex().substr(0, 12)) +
           "), in namespace" + (r.plan->namespaces.size() == 1 ? " " : "s ") +
           code(namespaces_text(*r.plan)) + ". Root " + code(r.root.hex().substr(0, 12)) + ".\n\n";
  b.out += "| | instances | resources | size |\n|---|---:|---:|---:|\n";
  b.out += "| created | " + std::to_string(r.created.size()) + " | " +
           std::to_string(total_resources(r.created)) + " | " +
           human_bytes(total_bytes(r.created)) + " |\n";
  b.out += "| reused from the base | " + std::to_string(r.reused.size()) + " | " +
           std::to_string(total_resources(r.reused)) + " | " + human_bytes(total_bytes(r.reused)) +
           " |\n";
  b.heading = "\n| instance | package | | why |\n|---|---|---|---|\n";
  for (const auto* list : {&r.created, &r.reused}) {
    for (const ReportEntry& e : *list) {
      b.add(
          [&] {
            return "| " +
                   code(e.plan->role == PreviewRole::kReused
                            ? e.instance->decl.qualified()
                            : e.plan->preview_namespace + "/" + e.instance->decl.name) +
                   " | " + markdown_cell_text(package_of(e)) + " | " +
                   compiler::preview_role_name(e.plan->role) + " | " +
                   markdown_cell_text(e.plan->reason) + " |\n";
          },
          true);
    }
  }
  b.heading = "\n**Not shared across namespaces:**\n\n";
  for (const std::string& w : r.cross_namespace) {
    b.add([&] { return "- " + markdown_cell_text(w) + "\n"; }, false);
  }
  if (b.closed) {
    auto count = [](size_t n, const char* one, const char* many) {
      return std::to_string(n) + " more " + (n == 1 ? one : many);
    };
    std::string left_out;
    if (b.left_out > 0) left_out = count(b.left_out, "instance", "instances");
    if (b.left_out_other > 0) {
      left_out += (left_out.empty() ? "" : " and ") + count(b.left_out_other, "note", "notes");
    }
    b.out += "\n**" + left_out;
    b.out +=
        "** — `--format json` lists them all; this comment stops below GitHub's "
        "65,536-character limit.\n";
  }
  out << b.out;
}

void print_plan_errors(const std::vector<Error>& errors, const std::string& what, Context& ctx) {
  Colors c{ctx.color_stderr};
  for (const Error& e : errors) {
    std::string text = e.render();
    auto pos = text.find("error:");
    if (pos != std::string::npos && c.on)
      text.replace(pos, 6, std::string(c.red()) + c.bold() + "error:" + c.reset());
    std::cerr << text << "\n";
  }
  std::cerr << what << " failed: " << plural(errors.size(), "error") << "\n";
  ctx.exit_code = kExitDifferent;
}

void run_preview(const PreviewArgs& args, Context& ctx) {
  if (args.base.empty()) {
    throw Error(ErrorKind::kInvalidInput,
                "kix preview needs --base: the root the preview is compared with", {},
                "give a REF of the store, e.g. --base my-homelab (its latest generation)");
  }
  if (args.name.empty()) {
    throw Error(ErrorKind::kInvalidInput, "kix preview needs --name: the preview's name", {},
                "e.g. --name pr-123; it names the preview's namespace");
  }
  compiler::Compilation working;
  CompileFlags first;
  first.locked = args.locked;
  first.insecure = args.insecure;
  if (!compile_definition(args.path, ctx, working, nullptr, first)) return;
  ClusterInput base = load_cluster_input(args.base, ctx);
  if (!base.root) base.root = base.graph.root(base.cluster);

  PreviewPlan plan = compiler::plan_preview(working, base.graph, args.name);
  if (!plan.errors.empty()) return print_plan_errors(plan.errors, "preview " + args.name, ctx);
  if (plan.empty()) {
    if (args.format == "json") {
      // The shape of a preview that was built, with nothing in it.
      std::cout << pretty_json(Json{{"preview", args.name},
                                    {"cluster", working.cluster},
                                    {"history", nullptr},
                                    {"base", {{"ref", args.base}, {"root", base.root->hex()}}},
                                    {"namespaces", Json::object()},
                                    {"created", Json::array()},
                                    {"reused", Json::array()},
                                    {"leftOut", Json::array()},
                                    {"crossNamespace", Json::array()},
                                    {"root", nullptr},
                                    {"generation", nullptr},
                                    {"newResources", 0},
                                    {"output", nullptr}})
                << "\n";
    } else {
      std::cout << "nothing changed against " << args.base
                << ": the preview would be empty, so none was built\n";
    }
    ctx.exit_code = kExitOk;
    return;
  }
  CompileFlags flags;
  flags.locked = args.locked;
  flags.insecure = args.insecure;
  flags.quiet = true;  // the first compilation printed them
  flags.rewrite = [&](compiler::Resolution& r) { compiler::apply_preview(plan, working, r); };
  compiler::Compilation preview;
  if (!compile_definition(args.path, ctx, preview, nullptr, flags)) return;
  if (auto errors = compiler::check_preview_resources(plan, preview); !errors.empty()) {
    return print_plan_errors(errors, "preview " + args.name, ctx);
  }

  PreviewReport report = make_report(working, preview, plan);
  report.cluster = working.cluster;
  report.history = compiler::preview_history_name(working.cluster, args.name);
  report.base_label = args.base;
  report.base_root = *base.root;
  report.cross_namespace = compiler::cross_namespace_uses(plan, preview.graph, base.graph);
  report.out = args.out.empty() ? "result-" + args.name : args.out;
  check_cluster_name(report.history);
  check_result_dir(report.out);

  std::unique_ptr<Store> store = open_store(ctx);
  AddOptions options;
  options.cluster = report.history;
  options.message = args.message.empty() ? "kix preview against " + args.base : args.message;
  options.source_revision =
      args.source_revision.empty() ? git_revision(args.path) : args.source_revision;
  options.time = ctx.now();
  for (const compiler::UsedChart& chart : preview.charts) options.sources.push_back(chart.sha256);
  report.root = preview.graph.root(report.history);
  write_result_dir(report.out, preview.graph, report.history, report.root,
                   [&] { report.added = store->add(preview.graph, options); });

  Colors e{ctx.color_stderr};
  for (const std::string& w : report.cross_namespace) {
    std::cerr << e.yellow() << e.bold() << "warning:" << e.reset() << " " << w
              << ": a pod cannot use another namespace's object; create it in the preview's "
                 "namespace before deploying, or the pod will not start\n";
  }
  if (args.format == "json") {
    print_json(report, std::cout);
  } else if (args.format == "markdown") {
    print_markdown(report, std::cout);
  } else {
    print_text(report, Colors{ctx.color_stdout}, std::cout);
  }
  ctx.exit_code = kExitOk;
}

// Deletes what the preview's deploys put in the cluster: a prune against
// the empty root, the preview's own Namespaces included. The empty root is
// then recorded as deployed, so the preview's history says it is gone.
// --destroy's report for --format json (schema/output/preview-destroy.json).
Json destroy_json(const PreviewArgs& args, const std::string& cluster, const char* outcome,
                  const PrunePlan& prune) {
  Json steps = Json::array(), kept = Json::array();
  for (const DeployStep& step : prune.steps) {
    steps.push_back(Json{{"description", step.description}, {"argv", step.argv}, {"ok", nullptr}});
  }
  for (const PruneItem& item : prune.kept) {
    kept.push_back(Json{{"resource", item.id.display()}, {"keptBecause", item.kept_because}});
  }
  return Json{{"preview", args.destroy},
              {"cluster", cluster},
              {"context", args.context},
              {"dryRun", args.dry_run},
              {"outcome", outcome},
              {"steps", steps},
              {"kept", kept}};
}

void run_destroy(const PreviewArgs& args, Context& ctx) {
  const bool json = args.format == "json";
  Diagnostics diags;
  const std::string cluster = compiler::load_cluster_definition(args.path, diags).name;
  ClusterInput input;
  input.cluster = compiler::preview_history_name(cluster, args.destroy);
  input.label = input.cluster;
  check_cluster_name(input.cluster);
  {
    std::unique_ptr<Store> store = open_store(ctx);
    if (store->generations(input.cluster).empty()) {
      throw Error(ErrorKind::kNotFound,
                  "there is no preview '" + args.destroy + "' of cluster " + cluster + " in " +
                      store->describe(),
                  {}, "kix store ls lists the previews as <cluster>.preview.<name>");
    }
  }
  std::vector<DeployedBefore> before = deployed_before(input, args.context, ctx);
  DeployOptions options;
  options.context = args.context;
  options.kubectl = kubectl_to_run(ctx, args.dry_run);
  std::set<std::string> namespaces;
  std::vector<Graph> graphs;
  std::string labels;
  for (DeployedBefore& b : before) {
    for (const Manifest& m : b.graph.manifests) {
      if (m.id.group().empty() && m.id.kind == "Namespace") namespaces.insert(m.id.name);
    }
    labels += (labels.empty() ? "" : " and ") + b.label;
    graphs.push_back(std::move(b.graph));
  }
  const std::string context =
      args.context.empty() ? "the current context" : "context " + args.context;
  if (graphs.empty() || std::all_of(graphs.begin(), graphs.end(),
                                    [](const Graph& g) { return g.manifests.empty(); })) {
    ctx.exit_code = kExitOk;
    if (json) {
      std::cout << pretty_json(destroy_json(args, cluster, "notDeployed", PrunePlan{})) << "\n";
      return;
    }
    std::cout << "preview " << args.destroy << " of " << cluster << " is not deployed with "
              << context << ": nothing to delete\n";
    ctx.exit_code = kExitOk;
    return;
  }
  PrunePlan prune = plan_prune(graphs, Graph{}, options, 0, namespaces);
  if (args.dry_run && json) {
    std::cout << pretty_json(destroy_json(args, cluster, "planned", prune)) << "\n";
    ctx.exit_code = kExitOk;
    return;
  }
  if (args.dry_run) {
    std::cout << "# destroy preview " << args.destroy << " of " << cluster << ": what " << labels
              << " put in the cluster, dependents first\n";
    for (const DeployStep& step : prune.steps) {
      std::cout << shell_quote(step.argv) << "\n";
    }
    for (const PruneItem& kept : prune.kept) {
      std::cout << "# kept: " << kept.id.display() << ": " << kept.kept_because << "\n";
    }
    ctx.exit_code = kExitOk;
    return;
  }
  // With --format json the step lines go to stderr: stdout holds the report.
  std::ostream& log = json ? std::cerr : std::cout;
  Colors c{json ? ctx.color_stderr : ctx.color_stdout};
  SystemProcessRunner runner;
  Json report = destroy_json(args, cluster, "destroyed", prune);
  size_t reported = 0;
  DeployOutcome outcome =
      run_deploy(prune.steps, runner, [&](const DeployStep& step, const StepReport& r) {
        if (reported < prune.steps.size()) report["steps"][reported++]["ok"] = r.ok;
        log << (r.ok ? std::string(c.green()) + "ok  " : std::string(c.red()) + "FAIL") << c.reset()
            << " " << step.description << "\n";
      });
  if (!outcome.ok()) {
    const DeployStep& failed = prune.steps[*outcome.failed_step];
    Colors e{ctx.color_stderr};
    std::cerr << e.red() << e.bold() << "error:" << e.reset() << " destroying preview "
              << args.destroy << " stopped: " << failed.description << " failed (exit "
              << outcome.failure.exit_code << ")\n  command: " << shell_quote(failed.argv) << "\n";
    if (!outcome.failure.err.empty()) std::cerr << "  kubectl said: " << outcome.failure.err;
    std::cerr << "  run kix preview --destroy " << args.destroy
              << " again: deleting what is already gone is not an error\n";
    ctx.exit_code = kExitError;
    if (json) {
      report["outcome"] = "failed";
      report["steps"][*outcome.failed_step]["ok"] = false;
      std::cout << pretty_json(report) << "\n";
    }
    return;
  }
  std::unique_ptr<Store> store = open_store(ctx);
  record_deploy(*store, Graph{}, input.cluster, args.context, "kix preview --destroy", ctx.now());
  ctx.exit_code = kExitOk;
  if (json) {
    std::cout << pretty_json(report) << "\n";
    return;
  }
  std::cout << "destroyed preview " << args.destroy << " of " << cluster << ": deleted "
            << plural(prune.steps.size(), "object") << "\n";
  ctx.exit_code = kExitOk;
}

}  // namespace

void add_preview_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<PreviewArgs>();
  CLI::App* cmd = app.add_subcommand(
      "preview",
      "Build what changed against a base root, and what depends on it, into a namespace of its "
      "own, wired to the base for everything else (docs/commands/preview.md)");
  cmd->add_option("definition", args->path,
                  "A cluster.yaml, or a directory holding one (default: .)");
  cmd->add_option("--base", args->base, "The root to compare with: a REF (NAME, NAME@N, hash)");
  cmd->add_option("--name", args->name,
                  "The preview's name (pr-123): its namespace, or <namespace>-<name> for each "
                  "namespace of a cluster with several");
  cmd->add_option("-o,--output", args->out,
                  "Result directory, as kix build writes it (default: ./result-<name>)");
  add_format_option(cmd, args->format, {"text", "json", "markdown"});
  cmd->add_option("-m,--message", args->message, "Message recorded with the preview's generation");
  cmd->add_option("--source-revision", args->source_revision,
                  "Source revision recorded with the generation (default: `git rev-parse HEAD`)");
  cmd->add_flag("--locked", args->locked, "Require kix.lock, and every image in it");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP to chart repositories that are not on this machine");
  cmd->add_option("--destroy", args->destroy,
                  "Delete from the cluster what the preview NAME's deploys put there, its "
                  "namespace included, instead of building");
  cmd->add_flag("--dry-run", args->dry_run, "With --destroy: print the kubectl commands only");
  cmd->add_option("--context", args->context, "With --destroy: kubectl context");
  cmd->callback([args, &ctx] {
    if (!args->destroy.empty()) {
      if (!args->base.empty() || !args->name.empty()) {
        throw Error(ErrorKind::kInvalidInput, "--destroy takes no --base or --name", {},
                    "kix preview --destroy NAME [DEFINITION]");
      }
      return run_destroy(*args, ctx);
    }
    if (args->dry_run || !args->context.empty()) {
      throw Error(ErrorKind::kInvalidInput, "--dry-run and --context go with --destroy", {},
                  "a preview is deployed with kix deploy <cluster>.preview.<name>");
    }
    run_preview(*args, ctx);
  });
}

}  // namespace kix::cli
