// `kix test`: run the post-deploy checks of a definition (compiler/
// post_deploy_checks.h) as Jobs, and `kix deploy --test`'s part of it.
// docs/commands/test.md documents it.
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/store_cli.h"
#include "cluster/kubectl.h"
#include "util/error.h"

namespace kix::cli {

bool run_post_deploy_checks(const ClusterInput& input, const DeployOptions& deploy,
                            const CheckRunOptions& options, const std::string& format, Context& ctx,
                            Json* results) {
  require_checks_known(
      input, "",
      "give the cluster definition (a directory or cluster.yaml), not a REF or manifests");
  SystemProcessRunner runner;
  SystemTicker ticker;
  CheckRun run = run_checks(input.checks, deploy, options, runner, ticker);
  if (format == "json") {
    Json out = Json::array();
    for (size_t i = 0; i < input.checks.size(); ++i) {
      const CheckJob& check = input.checks[i];
      out.push_back({{"name", check.name},
                     {"job", check.manifest["metadata"]["name"]},
                     {"namespace", check.manifest["metadata"]["namespace"]},
                     {"outcome", check_outcome_name(run.results[i].outcome)},
                     {"reason", run.results[i].reason}});
    }
    if (results != nullptr) {
      *results = std::move(out);
    } else {
      std::cout << pretty_json(out) << "\n";
    }
  } else {
    Colors c{ctx.color_stdout};
    for (size_t i = 0; i < input.checks.size(); ++i) {
      const CheckResult& r = run.results[i];
      const bool ok = r.outcome == CheckOutcome::kPassed;
      std::cout << (ok ? std::string(c.green()) + "passed      "
                       : std::string(c.red()) +
                             (r.outcome == CheckOutcome::kFailed ? "FAILED      " : "NOT FINISHED"))
                << c.reset() << " " << input.checks[i].name;
      if (!ok) {
        const std::string job = input.checks[i].manifest["metadata"]["name"];
        const std::string ns = input.checks[i].manifest["metadata"]["namespace"];
        std::cout << ": " << r.reason << " (kubectl logs job/" << job << " -n " << ns << ")";
      }
      std::cout << "\n";
    }
  }
  if (!run.failed_argv.empty()) {
    Colors e{ctx.color_stderr};
    std::cerr << e.red() << e.bold() << "error:" << e.reset()
              << " a check could not be started: " << shell_quote(run.failed_argv)
              << " failed (exit " << run.failure.exit_code << ")\n";
    if (!run.failure.err.empty()) std::cerr << "  kubectl said: " << run.failure.err;
  }
  return run.passed();
}

namespace {

struct TestArgs {
  std::string input;
  std::string context;
  bool dry_run = false;
  int timeout_seconds = 120;
  bool keep = false;
  std::string format = "text";
};

void run_test(const TestArgs& args, Context& ctx) {
  if (args.timeout_seconds <= 0) {
    throw Error(ErrorKind::kInvalidInput, "--timeout must be a positive number of seconds");
  }
  ClusterInput input = load_cluster_input(args.input, ctx);
  DeployOptions deploy;
  deploy.context = args.context;
  deploy.kubectl = kubectl_to_run(ctx, args.dry_run);
  require_checks_known(
      input, "",
      "give the cluster definition (a directory or cluster.yaml), not a REF or manifests");
  if (input.checks.empty()) {
    ctx.exit_code = kExitOk;
    if (args.format == "json") {
      std::cout << "[]\n";
      return;
    }
    std::cout << "no checks: no need of " << input.cluster
              << " has pods at both ends, and no package declares tests\n";
    ctx.exit_code = kExitOk;
    return;
  }
  if (args.dry_run) {
    if (args.format == "json") {
      Json out = Json::array();
      for (const CheckJob& check : input.checks) {
        out.push_back({{"name", check.name}, {"job", check.manifest}});
      }
      std::cout << pretty_json(out) << "\n";
    } else {
      for (const CheckJob& check : input.checks) {
        std::cout << "# " << check.name << ": Job "
                  << check.manifest["metadata"]["name"].get<std::string>() << " @ "
                  << check.manifest["metadata"]["namespace"].get<std::string>() << " runs "
                  << check.manifest["spec"]["template"]["spec"]["containers"][0]["command"][2]
                         .get<std::string>()
                  << " with";
        for (const Json& e : check.manifest["spec"]["template"]["spec"]["containers"][0]["env"]) {
          std::cout << " " << e["name"].get<std::string>() << "=" << e["value"].get<std::string>();
        }
        std::cout << "\n";
      }
      for (const auto& argv : check_commands(input.checks, deploy)) {
        std::cout << shell_quote(argv) << (argv.back() == "-" ? "  # stdin: the Job" : "") << "\n";
      }
    }
    ctx.exit_code = kExitOk;
    return;
  }
  CheckRunOptions options;
  options.timeout_seconds = args.timeout_seconds;
  options.keep = args.keep;
  ctx.exit_code =
      run_post_deploy_checks(input, deploy, options, args.format, ctx) ? kExitOk : kExitDifferent;
}

}  // namespace

void add_test_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "test",
      "Run the post-deploy checks of a definition as Jobs: every need between pods, and the "
      "packages' tests (docs/commands/test.md). Exit 1 when one fails");
  cmd->add_option("definition", args->input,
                  "A cluster.yaml, or a directory holding one (default: .)");
  cmd->add_option("--context", args->context, "kubectl context");
  cmd->add_flag("--dry-run", args->dry_run, "Print the checks and the kubectl commands only");
  cmd->add_option("--timeout", args->timeout_seconds,
                  "Seconds to wait for all checks (default: 120)");
  cmd->add_flag("--keep", args->keep,
                "Keep the Jobs of passed checks (failed ones are always kept)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_test(*args, ctx); });
}

}  // namespace kix::cli
