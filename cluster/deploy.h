// Applying a graph to a cluster wave by wave with kubectl (docs/commands/deploy.md).
//
// plan_deploy turns the waves into a list of kubectl invocations:
//   kubectl [--context C] apply --server-side --field-manager=kix -f -
// with the wave's manifests on stdin (one JSON `kind: List`), followed by a
// readiness wait for each of the wave's workloads:
//   Deployment, StatefulSet, DaemonSet   kubectl rollout status KIND/NAME -n NS
//   Job                                  kubectl wait --for=condition=complete
//   CustomResourceDefinition             kubectl wait --for=condition=established
//   CloudNativePG Cluster                kubectl wait --for=condition=Ready
// run_deploy executes them in order and stops at the first failure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "manifest/merkle.h"
#include "util/process.h"

namespace kix {

struct DeployOptions {
  std::string kubectl = "kubectl";  // the program to run
  std::string context;              // --context, when not empty
  int timeout_seconds = 300;        // for each readiness wait
};

struct DeployStep {
  size_t wave = 0;
  std::vector<std::string> argv;  // the kubectl command line
  std::string input;              // its stdin ("" for waits)
  std::string description;  // "apply wave 0: Namespace/immich", "wait for Deployment/web @ app"
  bool applies = false;     // the wave's apply; false for a readiness wait
};

// For each wave of `waves` (indices into graph.manifests, as plan_waves
// returns them), in order: one apply step with the wave's manifests on
// stdin, then one readiness wait per resource that has one (see above).
// Pure: runs nothing.
std::vector<DeployStep> plan_deploy(const Graph& graph,
                                    const std::vector<std::vector<size_t>>& waves,
                                    const DeployOptions& options);

struct DeployOutcome {
  size_t completed = 0;               // steps that succeeded
  std::optional<size_t> failed_step;  // index of the step that failed, if any
  ProcessResult failure;              // its result
  bool ok() const { return !failed_step; }
};

// Runs the steps in order; `on_step` (optional) sees each finished step.
// Throws what the runner throws (kNotFound when kubectl cannot be started).
DeployOutcome run_deploy(
    const std::vector<DeployStep>& steps, ProcessRunner& runner,
    const std::function<void(const DeployStep&, const ProcessResult&)>& on_step = {});

// A command line quoted for a POSIX shell, for printing.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace kix
