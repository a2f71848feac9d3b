#include "cluster/check_run.h"

#include "cluster/wave_wait.h"
#include "manifest/manifest.h"

namespace kix {

const char* check_outcome_name(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kPassed:
      return "passed";
    case CheckOutcome::kFailed:
      return "failed";
    case CheckOutcome::kNotFinished:
      return "not finished";
  }
  return "not finished";
}

bool CheckRun::passed() const {
  if (!failed_argv.empty()) return false;
  for (const CheckResult& r : results) {
    if (r.outcome != CheckOutcome::kPassed) return false;
  }
  return true;
}

namespace {

ResourceId id_of(const CheckJob& job) {
  return make_manifest(job.manifest, {}).id;
}

std::vector<std::string> delete_argv(const ResourceId& id, const DeployOptions& deploy, bool wait) {
  std::vector<std::string> argv = kubectl_base(deploy);
  argv.insert(argv.end(), {"delete", resource_arg(id)});
  add_namespace(argv, id);
  argv.insert(argv.end(), {"--ignore-not-found", wait ? "--wait=true" : "--wait=false"});
  return argv;
}

std::vector<std::string> apply_argv(const DeployOptions& deploy) {
  std::vector<std::string> argv = kubectl_base(deploy);
  argv.insert(argv.end(), {"apply", "--server-side", "--field-manager=kix", "-f", "-"});
  return argv;
}

WavePoll poll_of(const std::vector<CheckJob>& jobs, const DeployOptions& deploy,
                 const CheckRunOptions& options) {
  WavePoll poll;
  poll.kubectl = kubectl_base(deploy);
  poll.timeout_seconds = options.timeout_seconds;
  poll.interval_milliseconds = options.interval_milliseconds;
  for (const CheckJob& job : jobs) poll.targets.push_back({id_of(job), WaitRule::kHealthy, ""});
  return poll;
}

}  // namespace

std::vector<std::vector<std::string>> check_commands(const std::vector<CheckJob>& jobs,
                                                     const DeployOptions& deploy) {
  std::vector<std::vector<std::string>> out;
  for (const CheckJob& job : jobs) {
    out.push_back(delete_argv(id_of(job), deploy, true));
    out.push_back(apply_argv(deploy));
  }
  for (const PollCommand& p : poll_commands(poll_of(jobs, deploy, {}))) out.push_back(p.argv);
  return out;
}

CheckRun run_checks(const std::vector<CheckJob>& jobs, const DeployOptions& deploy,
                    const CheckRunOptions& options, ProcessRunner& runner, Ticker& ticker) {
  CheckRun run;
  run.results.resize(jobs.size());
  for (const CheckJob& job : jobs) {
    for (auto argv : {delete_argv(id_of(job), deploy, true), apply_argv(deploy)}) {
      const bool apply = argv[argv.size() - 2] == "-f";
      ProcessResult r = runner.run(argv, apply ? job.manifest.dump() : std::string());
      if (r.exit_code != 0) {
        run.failed_argv = argv;
        run.failure = r;
        return run;
      }
    }
  }
  WavePoll poll = poll_of(jobs, deploy, options);
  WaveWaitResult waited = wait_for_wave(poll, runner, ticker);
  if (waited.end == WaitEnd::kKubectl) {
    run.failed_argv = waited.failed_argv;
    run.failure = waited.failure;
  }
  for (size_t i = 0; i < jobs.size() && i < waited.objects.size(); ++i) {
    const ObjectWait& o = waited.objects[i];
    CheckResult& r = run.results[i];
    r.outcome = o.done ? CheckOutcome::kPassed
                       : (o.failed ? CheckOutcome::kFailed : CheckOutcome::kNotFinished);
    r.reason = std::string(health_status_name(o.health.status)) +
               (o.health.reason.empty() ? "" : ": " + o.health.reason);
    if (r.outcome == CheckOutcome::kNotFinished && waited.end == WaitEnd::kDegraded) {
      r.reason += " (stopped at the first failed check)";
    }
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (options.keep || run.results[i].outcome != CheckOutcome::kPassed) continue;
    runner.run(delete_argv(id_of(jobs[i]), deploy, false));  // best effort: ttl cleans up too
  }
  return run;
}

}  // namespace kix
