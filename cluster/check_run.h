// Running post-deploy checks (docs/commands/test.md): each check is a Job
// (compiler/post_deploy_checks.h builds them); all are started, then
// polled together until each has completed or failed, or the deadline
// passes.
//
// For each Job, in order:
//   kubectl [--context C] delete job/NAME -n NS --ignore-not-found --wait=true
//     (a Job of that name ran before: run it again, its template is the same)
//   kubectl [--context C] apply --server-side --field-manager=kix -f -   (the Job)
// then `kubectl get job/NAME ... -o json` every interval
// (cluster/wave_wait.h), a Job being done when Complete and failed when
// Failed. Passed Jobs are deleted afterwards unless `keep`; failed ones are
// kept for `kubectl logs`.
//
// Thread-safety: uses the runner and ticker it is given from the calling
// thread only.
#pragma once

#include <string>
#include <vector>

#include "cluster/deploy.h"
#include "manifest/canonical_json.h"
#include "util/clock.h"
#include "util/process.h"

namespace kix {

struct CheckJob {
  std::string name;  // for people: "immich/immich -> immich/immich-db"
  Json manifest;     // the Job
};

enum class CheckOutcome { kPassed, kFailed, kNotFinished };

// "passed", "failed", "not finished".
const char* check_outcome_name(CheckOutcome outcome);

struct CheckResult {
  CheckOutcome outcome = CheckOutcome::kNotFinished;
  std::string reason;  // the Job's state, as kix health says it
};

struct CheckRun {
  std::vector<CheckResult> results;  // by job
  // A kubectl call that failed (not a check): its command and what it said.
  std::vector<std::string> failed_argv;
  ProcessResult failure;
  bool passed() const;
};

struct CheckRunOptions {
  int timeout_seconds = 120;  // for all of them together
  int64_t interval_milliseconds = 2000;
  bool keep = false;  // keep passed Jobs
};

// The commands, for --dry-run: per Job its delete and apply, then the poll.
std::vector<std::vector<std::string>> check_commands(const std::vector<CheckJob>& jobs,
                                                     const DeployOptions& deploy);

// Runs them as described above. Throws what the runner throws.
CheckRun run_checks(const std::vector<CheckJob>& jobs, const DeployOptions& deploy,
                    const CheckRunOptions& options, ProcessRunner& runner, Ticker& ticker);

}  // namespace kix
