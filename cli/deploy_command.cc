// `kix deploy`: apply a build wave by wave with kubectl and wait for each
// wave to become healthy. docs/commands/deploy.md documents it.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/deploy_history.h"
#include "cli/source_revision.h"
#include "cli/status_line.h"
#include "cli/store_cli.h"
#include "cluster/deploy.h"
#include "cluster/kubectl.h"
#include "cluster/prune.h"
#include "cluster/replace.h"
#include "manifest/waves.h"
#include "store/deploy_record.h"
#include "util/error.h"

namespace kix::cli {
namespace {

struct DeployArgs {
  std::string input;
  bool dry_run = false;
  std::string context;
  int timeout_seconds = 300;
  std::string message;
  std::string source_revision;
  bool prune = true;
  bool replace = false;
  bool test = false;  // run the post-deploy checks after the last wave
  std::string format = "text";
};

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kCheckSecret:
      return "checkSecret";
    case StepKind::kGenerateSecret:
      return "generateSecret";
    case StepKind::kApply:
      return "apply";
    case StepKind::kWait:
      return "wait";
    case StepKind::kDelete:
      return "delete";
  }
  return "apply";
}

// The deploy as --format json prints it (schema/output/deploy.json): the
// steps planned, what became of each that ran, and what was recorded.
struct DeployJson {
  Json out;

  DeployJson(const ClusterInput& input, const DeployArgs& args, size_t waves,
             const std::vector<DeployStep>& steps) {
    out = Json{{"cluster", input.cluster.empty() ? Json() : Json(input.cluster)},
               {"context", args.context},
               {"dryRun", args.dry_run},
               {"waves", waves},
               {"outcome", args.dry_run ? "planned" : "deployed"},
               {"steps", Json::array()},
               {"replacements", Json::array()},
               {"kept", Json::array()},
               {"recorded", nullptr},
               {"warnings", Json::array()},
               {"checks", nullptr}};
    for (const DeployStep& step : steps) {
      // A kWait step has no command line; the manifests an apply reads on
      // stdin are not part of it (they may hold Secret values).
      out["steps"].push_back(Json{{"wave", step.wave},
                                  {"kind", step_kind_name(step.kind)},
                                  {"description", step.description},
                                  {"argv", step.argv},
                                  {"ok", nullptr},
                                  {"note", ""}});
    }
  }
  void step_done(size_t index, const StepReport& r) {
    out["steps"][index]["ok"] = r.ok;
    out["steps"][index]["note"] = r.note;
  }
  void kept(const PrunePlan& prune) {
    for (const PruneItem& item : prune.kept) {
      out["kept"].push_back(
          Json{{"resource", item.id.display()}, {"keptBecause", item.kept_because}});
    }
  }
  void print() const { std::cout << pretty_json(out) << "\n" << std::flush; }
};

const char* rule_name(WaitRule rule) {
  switch (rule) {
    case WaitRule::kHealthy:
      return "healthy";
    case WaitRule::kNotDegraded:
      return "not Degraded";
    case WaitRule::kExists:
      return "exists";
  }
  return "exists";
}

std::string seconds_text(int64_t milliseconds) {
  if (milliseconds % 1000 == 0) return std::to_string(milliseconds / 1000) + "s";
  return std::to_string(milliseconds) + "ms";
}

// "#   healthy: Deployment/web @ app, Job/migrate @ app" per rule, then the
// poll commands.
void print_wait(const DeployStep& step) {
  const WavePoll& poll = *step.poll;
  std::cout << "# " << step.description << ": poll every "
            << seconds_text(poll.interval_milliseconds) << " until each is ready, at most "
            << poll.timeout_seconds << "s for the wave\n";
  for (WaitRule rule : {WaitRule::kHealthy, WaitRule::kNotDegraded, WaitRule::kExists}) {
    std::string names;
    for (const WaitTarget& t : poll.targets) {
      if (t.rule != rule) continue;
      names += (names.empty() ? "" : ", ") + t.id.display() +
               (t.made_by.empty() ? "" : " (of " + t.made_by + ")");
    }
    if (!names.empty()) std::cout << "#   " << rule_name(rule) << ": " << names << "\n";
  }
  for (const PollCommand& c : poll_commands(poll)) std::cout << shell_quote(c.argv) << "\n";
}

void print_kept(const PrunePlan& prune, const std::string& previous, std::ostream& out) {
  for (const PruneItem& kept : prune.kept) {
    out << "# kept, though not in this build (was in " << previous << "): " << kept.id.display()
        << ": " << kept.kept_because << "\n";
  }
}

// The commands only: the manifests that go to `apply` on stdin are not
// printed, since they may hold Secret values (`kix plan` lists them), and a
// generated Secret's values do not exist until its step runs.
void print_dry_run(const std::vector<DeployStep>& steps, const PrunePlan& prune,
                   const std::string& previous, size_t prune_wave) {
  std::optional<size_t> wave;
  bool checks = false;
  auto header = [&](const DeployStep& step) {
    if (wave != step.wave) {
      std::cout << (wave || checks ? "\n" : "") << "# wave " << step.wave << "\n";
      wave = step.wave;
    }
  };
  for (const DeployStep& step : steps) {
    switch (step.kind) {
      case StepKind::kCheckSecret:
        if (!checks) std::cout << "# before the first wave: check the Secrets kix does not hold\n";
        checks = true;
        std::cout << shell_quote(step.argv) << "  # " << step.description << "\n";
        continue;
      case StepKind::kGenerateSecret:
      case StepKind::kApply:
        header(step);
        std::cout << "# " << step.description << "\n";
        std::cout << shell_quote(step.argv)
                  << (step.kind == StepKind::kApply
                          ? "  # stdin: the wave's manifests as one kind: List\n"
                          : "  # stdin: the Secret with fresh random values; skipped when the "
                            "check found it\n");
        continue;
      case StepKind::kWait:
        print_wait(step);
        continue;
      case StepKind::kDelete:
        if (step.wave >= prune_wave) continue;  // pruning: below, with what is kept
        header(step);
        std::cout << "# " << step.description << "\n" << shell_quote(step.argv) << "\n";
        continue;
    }
  }
  if (!prune.steps.empty() || !prune.kept.empty()) {
    std::cout << "\n# after the last wave: prune what " << previous
              << " had and this build lacks\n";
  }
  for (const DeployStep& step : prune.steps) {
    std::cout << shell_quote(step.argv) << "  # " << step.description << "\n";
  }
  print_kept(prune, previous, std::cout);
}

// Records the deploy in the store (store/deploy_record.h), so `kix store
// log` shows which generation is deployed and `kix rollback` can return to it.
void record_deployed_root(const ClusterInput& input, const DeployArgs& args, Context& ctx,
                          DeployJson& json,
                          std::optional<Deployment::Partial> partial = std::nullopt) {
  const bool text = args.format != "json";
  if (input.cluster.empty()) {
    if (!text && ctx.quiet) return;
    (text ? std::cout : std::cerr)
        << "note: the input has no cluster name, so the deployment was not recorded\n";
    return;
  }
  std::unique_ptr<Store> store = open_store(ctx);
  DeployRecord record = record_deploy(
      *store, input.graph, input.cluster, args.context,
      args.message.empty() ? "kix deploy" : args.message, ctx.now(), partial,
      args.source_revision.empty() ? git_revision(args.input.empty() ? "." : args.input)
                                   : args.source_revision);
  Json partial_json;
  if (partial) {
    partial_json = {{"wavesApplied", partial->waves_applied}, {"wavesTotal", partial->waves_total}};
  }
  json.out["recorded"] = {{"cluster", input.cluster},
                          {"generation", record.deployment.generation.value_or(0)},
                          {"newGeneration", record.new_generation},
                          {"root", record.deployment.root.hex()},
                          {"partial", partial_json}};
  if (!text) return;
  std::cout << (partial ? "recorded a partial deploy of " : "deployed ") << input.cluster
            << (record.new_generation ? " as generation " : " generation ")
            << record.deployment.generation.value_or(0) << " (root " << record.deployment.root.hex()
            << ")";
  if (partial) {
    std::cout << ": " << partial->waves_applied << " of " << partial->waves_total
              << " waves applied";
  }
  std::cout << "\n";
}

// How many of the waves reached the cluster when `failed` stopped the
// deploy: a wave whose apply failed did not, one whose wait failed did.
int64_t waves_applied(const DeployStep& failed, size_t waves) {
  switch (failed.kind) {
    case StepKind::kCheckSecret:
      return 0;
    case StepKind::kGenerateSecret:
    case StepKind::kApply:
      return static_cast<int64_t>(failed.wave);
    case StepKind::kWait:
      return static_cast<int64_t>(failed.wave) + 1;
    case StepKind::kDelete:  // a replacement's, before its wave, or the prune's, after all
      return static_cast<int64_t>(std::min(failed.wave, waves));
  }
  return 0;
}

// After "error: deploy stopped in wave N": how the wait ended and every
// object that was not ready, as last seen.
void report_wait_failure(const DeployStep& failed, const WaveWaitResult& result) {
  const WavePoll& poll = *failed.poll;
  std::cerr << ": " << failed.description;
  switch (result.end) {
    case WaitEnd::kDegraded:
      std::cerr << " failed: an object is Degraded (it will not become healthy by waiting)\n";
      break;
    case WaitEnd::kDeadline:
      std::cerr << " timed out after " << poll.timeout_seconds << "s (--timeout)\n";
      break;
    case WaitEnd::kKubectl:
    case WaitEnd::kDone:
      std::cerr << " failed: kubectl get failed three polls in a row\n";
      break;
  }
  std::cerr << describe_unfinished(poll, result);
  if (result.end == WaitEnd::kKubectl) {
    std::cerr << "  command: " << shell_quote(result.failed_argv) << "\n";
    const std::string& err = result.failure.err;
    if (!err.empty()) std::cerr << "  kubectl said: " << err << (err.back() == '\n' ? "" : "\n");
  }
}

void report_failure(const std::vector<DeployStep>& steps, const DeployOutcome& outcome,
                    const Colors& c) {
  const DeployStep& failed = steps[*outcome.failed_step];
  if (!outcome.missing_secrets.empty()) {
    std::cerr << c.red() << c.bold() << "error:" << c.reset()
              << " deploy stopped before the first wave: required Secrets are missing\n"
              << outcome.missing_secrets
              << "  nothing was applied. Create them and run kix deploy again.\n";
    return;
  }
  std::cerr << c.red() << c.bold() << "error:" << c.reset() << " deploy stopped";
  if (failed.kind == StepKind::kCheckSecret) {
    std::cerr << " before the first wave";
  } else {
    std::cerr << " in wave " << failed.wave;
  }
  if (failed.kind == StepKind::kWait && outcome.wait) {
    report_wait_failure(failed, *outcome.wait);
  } else {
    std::cerr << ": " << failed.description << " failed (exit " << outcome.failure.exit_code
              << ")\n";
  }
  if (failed.kind == StepKind::kDelete && failed.description.rfind("prune ", 0) == 0) {
    std::cerr << "  command: " << shell_quote(failed.argv) << "\n";
    if (!outcome.failure.err.empty()) std::cerr << "  kubectl said: " << outcome.failure.err;
    if (!outcome.failure.err.empty() && outcome.failure.err.back() != '\n') std::cerr << "\n";
    std::cerr << "  every wave was applied; pruning stopped there. The deploy is recorded as "
                 "partial, so the next kix deploy prunes what both roots left.\n";
    return;
  }
  if (failed.kind != StepKind::kWait) {
    std::cerr << "  command: " << shell_quote(failed.argv) << "\n";
    if (!outcome.failure.err.empty()) std::cerr << "  kubectl said: " << outcome.failure.err;
    if (!outcome.failure.err.empty() && outcome.failure.err.back() != '\n') std::cerr << "\n";
  }
  // Say exactly what reached the cluster: the operator decides from this
  // whether to fix forward or roll back.
  std::cerr << "  ";
  if (failed.kind == StepKind::kWait) {
    std::cerr << "waves 0 to " << failed.wave << " were applied";
  } else if (failed.kind == StepKind::kCheckSecret || failed.wave == 0) {
    std::cerr << "nothing was applied";
  } else {
    std::cerr << "waves 0 to " << failed.wave - 1 << " were applied";
  }
  std::cerr << "; later waves were not. Fix the problem and run kix deploy again "
               "(applying is idempotent), or roll back with kix rollback <hash>.\n";
}

// On a terminal, the status line: "wave 2: 3/5 ready, 14s — Deployment/web
// @ app Progressing: 0 of 1 replicas available" (the first object not
// ready). Elsewhere, a line for each object as it becomes ready, so a log
// shows what took how long.
void show_progress(const DeployStep& step, const WaveProgress& progress, StatusLine& status,
                   std::ostream& log, const Colors& c) {
  const WavePoll& poll = progress.poll;
  if (!status.enabled()) {
    for (size_t i : progress.newly_done) {
      log << "     " << c.green() << "ready" << c.reset() << " " << poll.targets[i].id.display()
          << ": " << describe_object(poll.targets[i], progress.objects[i]) << "\n";
    }
    return;
  }
  size_t ready = 0;
  std::optional<size_t> first_waiting;
  for (size_t i = 0; i < progress.objects.size(); ++i) {
    if (progress.objects[i].done) {
      ++ready;
    } else if (!first_waiting) {
      first_waiting = i;
    }
  }
  std::string text = "wave " + std::to_string(step.wave) + ": " + std::to_string(ready) + "/" +
                     std::to_string(progress.objects.size()) + " ready, " +
                     std::to_string(progress.elapsed_milliseconds / 1000) + "s";
  if (first_waiting) {
    const WaitTarget& t = poll.targets[*first_waiting];
    text += " \u2014 " + t.id.kind + "/" + t.id.name + " " +
            describe_object(t, progress.objects[*first_waiting]);
  }
  status.show(text);
}

void run_deploy_command(const DeployArgs& args, Context& ctx) {
  if (args.timeout_seconds <= 0) {
    throw Error(ErrorKind::kInvalidInput, "--timeout must be a positive number of seconds");
  }
  ClusterInput input = load_cluster_input(args.input, ctx);
  DeployOptions options;
  options.context = args.context;
  options.timeout_seconds = args.timeout_seconds;
  options.kubectl = kubectl_to_run(ctx, args.dry_run);
  auto waves = plan_waves(input.graph);
  std::vector<DeployStep> steps = plan_deploy(input.graph, waves, options);
  std::vector<DeployedBefore> before = deployed_before(input, args.context, ctx);
  // Immutable fields, against the root deployed last: an apply would fail
  // part-way, so it is settled before the first wave.
  std::vector<Replacement> replacements;
  if (!before.empty()) replacements = find_replacements(input.graph, before.back().graph);
  const bool json = args.format == "json";
  if (!replacements.empty() && !args.replace) {
    if (json) {
      DeployJson report(input, args, waves.size(), {});
      report.out["outcome"] = "refused";
      for (const Replacement& r : replacements) {
        report.out["replacements"].push_back(
            Json{{"resource", r.id.display()}, {"paths", r.paths}});
      }
      report.print();
    }
    Colors e{ctx.color_stderr};
    std::cerr << e.red() << e.bold() << "error:" << e.reset()
              << " deploy stopped before the first wave: " << replacements.size()
              << " object(s) change a field Kubernetes cannot update in place (since "
              << before.back().label << ")\n";
    for (const Replacement& r : replacements) {
      std::cerr << "  " << r.id.display() << ":";
      for (const std::string& p : r.paths) std::cerr << " " << p;
      std::cerr << "\n";
    }
    std::cerr << "  nothing was applied. Run kix deploy --replace to delete and re-create them in "
                 "their waves (their pods restart; a StatefulSet's claims are kept), or change "
                 "the definition back.\n";
    ctx.exit_code = kExitError;
    return;
  }
  if (args.replace)
    steps = with_replacements(std::move(steps), replacements, input.graph, waves, options);
  PrunePlan prune;
  std::string previous;  // what is pruned against, for messages
  if (args.prune) {
    std::vector<Graph> graphs;
    for (DeployedBefore& b : before) {
      previous += (previous.empty() ? "" : " and ") + b.label;
      graphs.push_back(std::move(b.graph));
    }
    prune = plan_prune(graphs, input.graph, options, waves.size());
    steps.insert(steps.end(), prune.steps.begin(), prune.steps.end());
  }
  if (args.test) {
    require_checks_known(
        input, "--test: ",
        "deploy the cluster definition (a directory or cluster.yaml), or leave out --test");
  }
  DeployJson report(input, args, waves.size(), steps);
  report.kept(prune);
  if (args.dry_run && json) {
    if (args.test) {
      report.out["checks"] = Json::array();
      for (const CheckJob& check : input.checks) report.out["checks"].push_back(check.name);
    }
    report.print();
    ctx.exit_code = kExitOk;
    return;
  }
  if (args.dry_run) {
    print_dry_run(steps, prune, previous, waves.size());
    if (args.test) {
      std::cout << "\n# after the deploy: " << input.checks.size()
                << " post-deploy check(s), as kix test --dry-run shows them\n";
      for (const CheckJob& check : input.checks) std::cout << "#   " << check.name << "\n";
    }
    ctx.exit_code = kExitOk;
    return;
  }
  // With --format json, stdout holds the report alone: the step lines
  // (and the ready lines) go to stderr, and there is no status line.
  std::ostream& log = json ? std::cerr : std::cout;
  Colors c{json ? ctx.color_stderr : ctx.color_stdout};
  SystemProcessRunner runner;
  std::ostream& raw = ctx.raw_stdout != nullptr ? *ctx.raw_stdout : std::cout;
  StatusLine status(std::cout, raw,
                    !json && !ctx.quiet && ctx.stdout_tty && ctx.raw_stdout != nullptr,
                    terminal_columns(STDOUT_FILENO, ctx.env().get("COLUMNS").value_or("")));
  WaitHooks hooks;
  hooks.on_progress = [&](const DeployStep& step, const WaveProgress& progress) {
    if (!ctx.quiet) show_progress(step, progress, status, log, c);
  };
  // Steps run in order, so the next report is of the step after the last.
  size_t reported = 0;
  DeployOutcome outcome = run_deploy(
      steps, runner,
      [&](const DeployStep& step, const StepReport& r) {
        status.clear();
        if (reported < steps.size()) report.step_done(reported++, r);
        log << (r.ok ? std::string(c.green()) + "ok  " : std::string(c.red()) + "FAIL") << c.reset()
            << " " << step.description << (r.note.empty() ? "" : ": " + r.note) << "\n";
      },
      hooks);
  status.clear();
  for (const std::string& warning : outcome.warnings) {
    Colors e{ctx.color_stderr};
    std::cerr << e.yellow() << e.bold() << "warning:" << e.reset() << " " << warning << "\n";
    report.out["warnings"].push_back(warning);
  }
  if (!outcome.ok()) {
    if (*outcome.failed_step < steps.size())
      report.out["steps"][*outcome.failed_step]["ok"] = false;
    report.out["outcome"] = "failed";
    report_failure(steps, outcome, Colors{ctx.color_stderr});
    ctx.exit_code = kExitError;
    // What reached the cluster is recorded: the next prune must see it, and
    // `kix store log` must not claim the earlier generation is what runs.
    const int64_t applied = waves_applied(steps[*outcome.failed_step], waves.size());
    if (applied > 0 && outcome.missing_secrets.empty()) {
      record_deployed_root(input, args, ctx, report,
                           Deployment::Partial{applied, static_cast<int64_t>(waves.size())});
    }
    if (json) report.print();
    return;
  }
  if (!json) print_kept(prune, previous, std::cout);
  record_deployed_root(input, args, ctx, report);
  ctx.exit_code = kExitOk;
  if (args.test) {
    CheckRunOptions checks;
    checks.timeout_seconds = args.timeout_seconds;
    Json results;
    if (!run_post_deploy_checks(input, options, checks, args.format, ctx,
                                json ? &results : nullptr))
      ctx.exit_code = kExitDifferent;
    if (json) report.out["checks"] = results;
  }
  if (json) report.print();
}

}  // namespace

void add_deploy_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DeployArgs>();
  CLI::App* cmd = app.add_subcommand(
      "deploy",
      "Apply a build wave by wave with kubectl apply --server-side and wait for health "
      "(docs/commands/deploy.md)");
  add_cluster_input_option(cmd, args->input);
  cmd->add_flag("--dry-run", args->dry_run, "Print every kubectl command instead of running it");
  cmd->add_option("--context", args->context, "kubectl context");
  cmd->add_option("--timeout", args->timeout_seconds,
                  "Seconds each wave may take to become healthy after its apply");
  cmd->add_option("-m,--message", args->message,
                  "Message of the generation recorded when the root is new to the store");
  cmd->add_option("--source-revision", args->source_revision,
                  "Source revision of the generation recorded when the root is new to the store "
                  "(default: `git rev-parse HEAD` of the definition's work tree)");
  cmd->add_flag("--replace", args->replace,
                "Delete and re-create, in their waves, the objects whose change Kubernetes cannot "
                "make in place (an immutable field); without it such a deploy stops before the "
                "first wave");
  cmd->add_flag(
      "--test", args->test,
      "After the last wave, run the post-deploy checks (kix test); exit 1 when one fails");
  cmd->add_flag("--prune", args->prune,
                "After the last wave, delete what the root deployed before to this cluster and "
                "context had and this build lacks (--prune=false: leave it)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_deploy_command(*args, ctx); });
}

}  // namespace kix::cli
