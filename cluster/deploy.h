// Applying a graph to a cluster wave by wave with kubectl (docs/commands/deploy.md).
//
// plan_deploy turns the waves into a list of kubectl invocations. First, before
// any wave, one check per RequiredSecret and GeneratedSecret
// (manifest/secret_sources.h) of whether its Secret exists and with which
// keys (cluster/live_secret.h). Then for each wave: a `kubectl create -f -`
// for each GeneratedSecret of the wave, run only when its Secret does not
// exist, then
//   kubectl [--context C] apply --server-side --field-manager=kix -f -
// with the wave's other manifests on stdin (one JSON `kind: List`; kix.dev
// kinds and Helm test hooks are never applied), followed by one wait for
// the whole wave (cluster/wave_wait.h): its applied objects, and the
// StatefulSet of each StackGres SGCluster, polled with
//   kubectl [--context C] get TYPE/NAME ... [-n NS] --ignore-not-found -o json
// every poll_interval_milliseconds until every one is done by its rule
// (workloads, Jobs, definitions, database clusters, ExternalSecrets and
// Certificates Healthy; other kinds exist), within one deadline of
// timeout_seconds for the wave; a Degraded one stops it at once.
// run_deploy executes them in order and stops at the first failure; a
// missing RequiredSecret (or a key it lacks) stops it after the checks,
// before anything is applied, naming every Secret that is missing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/wave_wait.h"
#include "manifest/merkle.h"
#include "manifest/secret_sources.h"
#include "util/clock.h"
#include "util/process.h"

namespace kix {

struct DeployOptions {
  std::string kubectl = "kubectl";            // the program to run
  std::string context;                        // --context, when not empty
  int timeout_seconds = 300;                  // the deadline of each wave's wait
  int64_t poll_interval_milliseconds = 2000;  // between two polls of a wave
};

enum class StepKind {
  kCheckSecret,     // before the first wave: does a required or generated Secret exist?
  kGenerateSecret,  // create a GeneratedSecret's Secret, unless it exists
  kApply,           // apply a wave
  kWait,            // wait until the wave's objects are done (DeployStep::poll)
  kDelete,          // after the last wave: delete what the new root lacks (cluster/prune.h)
};

struct DeployStep {
  size_t wave = 0;
  StepKind kind = StepKind::kApply;
  std::vector<std::string> argv;  // the kubectl command line; empty for kWait (see poll)
  // Its stdin: the wave's manifests for kApply, "" otherwise (a generated
  // Secret is made when its step runs, never planned or printed).
  std::string input;
  std::string description;  // "apply wave 0: Namespace/immich", "wait for wave 2 (5 objects)"
  std::optional<SecretSource> secret;  // kCheckSecret and kGenerateSecret
  std::optional<WavePoll> poll;        // kWait: what is polled, how often, how long
};

// The steps for `waves` (indices into graph.manifests, as plan_waves
// returns them), as described above. Pure: runs nothing. Throws kNotFound,
// before planning anything, when a Secret's values are not known
// (Manifest::values_known).
std::vector<DeployStep> plan_deploy(const Graph& graph,
                                    const std::vector<std::vector<size_t>>& waves,
                                    const DeployOptions& options);

// What became of one step, for people.
struct StepReport {
  bool ok = true;
  // "exists with keys api-key", "does not exist: generated at wave 1",
  // "generated", "exists: left alone", "lacks the key password: left alone"
  std::string note;
};

struct DeployOutcome {
  size_t completed = 0;               // steps that succeeded
  std::optional<size_t> failed_step;  // index of the step that failed, if any
  ProcessResult failure;              // its result (values of a generated Secret redacted)
  // When a wave's wait failed: how it ended and every object as last seen
  // (failure then holds kubectl's last failed poll, if that was the end).
  std::optional<WaveWaitResult> wait;
  // When the checks failed: every required Secret that is missing or lacks
  // keys, with the command that creates it. Nothing was applied.
  std::string missing_secrets;
  std::vector<std::string> warnings;  // e.g. a generated Secret that exists without a key
  bool ok() const { return !failed_step; }
};

// Time for the waves' waits, and who hears of each poll.
struct WaitHooks {
  Ticker* ticker = nullptr;  // not owned; nullptr: the system's (real sleeps)
  std::function<void(const DeployStep&, const WaveProgress&)> on_progress;
};

// Runs the steps in order; `on_step` (optional) sees each finished step,
// `wait.on_progress` each poll of a wave's wait. Throws what the runner
// throws (kNotFound when kubectl cannot be started), kIo when a check's
// answer is not kubectl's.
DeployOutcome run_deploy(
    const std::vector<DeployStep>& steps, ProcessRunner& runner,
    const std::function<void(const DeployStep&, const StepReport&)>& on_step = {},
    const WaitHooks& wait = {});

// A Helm test hook (annotation helm.sh/hook holding "test" or
// "test-success"): part of the build, listed by `kix plan`, never applied.
bool is_helm_test(const Json& manifest);

// `kubectl [--context C]`.
std::vector<std::string> kubectl_base(const DeployOptions& options);
// "deployment.apps/web", "configmap/cfg", "cluster.postgresql.cnpg.io/db":
// what kubectl takes as TYPE/NAME without ambiguity between API groups.
std::string resource_arg(const ResourceId& id);
// Appends `-n NS` for a namespaced resource.
void add_namespace(std::vector<std::string>& argv, const ResourceId& id);

}  // namespace kix
