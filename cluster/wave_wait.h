// Waiting for an applied wave to become healthy (docs/commands/deploy.md,
// "Waiting for a wave"): every object of the wave is polled with
//   kubectl [--context C] get TYPE/NAME ... [-n NS] --ignore-not-found -o json
// (one call per namespace, cluster-scoped objects in one more), each live
// object is judged by evaluate_health (cluster/health.h) against its rule,
// and the poll repeats every interval until every object is done, one is
// Degraded, or the wave's single deadline passes.
//
// What counts as done (WaitRule):
//   kHealthy     workloads and what dependents need working: Deployment,
//                StatefulSet, DaemonSet, ReplicaSet, Job, Pod,
//                CustomResourceDefinition, CloudNativePG Cluster,
//                ExternalSecret, cert-manager Certificate, and the
//                StatefulSet a StackGres SGCluster runs as (same name).
//                Healthy or Suspended (paused on purpose) is done; Degraded
//                fails the wait at once.
//   kNotDegraded the SGCluster itself: done once it exists, unless Degraded
//                (its PendingRestart is for an operator, not a deploy).
//   kExists      every other kind, PersistentVolumeClaims included (one
//                that waits for its first consumer stays Pending until a
//                pod of a later wave uses it), Services and Ingresses (an
//                address may never come without a load balancer), HPAs.
// Missing (not found) and Unknown (no readable status) are waited out
// like Progressing. A done object stays done and is not polled again.
//
// Thread-safety: the functions share no state; wait_for_wave uses the
// runner and ticker it is given from the calling thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cluster/health.h"
#include "manifest/manifest.h"
#include "util/clock.h"
#include "util/process.h"

namespace kix {

enum class WaitRule { kHealthy, kNotDegraded, kExists };

struct WaitTarget {
  ResourceId id;  // the object polled
  WaitRule rule = WaitRule::kExists;
  // For an object kix does not apply itself: the one that makes it
  // ("SGCluster/db @ app"); empty otherwise.
  std::string made_by;
};

// The targets for a wave's applied objects, in their order (each
// SGCluster followed by its StatefulSet), without duplicates.
std::vector<WaitTarget> wait_targets(const std::vector<ResourceId>& applied);

// A wave's wait as planned: what is polled, how often, for how long.
struct WavePoll {
  std::vector<std::string> kubectl;  // `kubectl [--context C]`
  std::vector<WaitTarget> targets;
  int timeout_seconds = 300;             // the wave's single deadline, from the start of the wait
  int64_t interval_milliseconds = 2000;  // between the starts of two polls
};

// The kubectl calls that poll the targets not `done` (by index; an empty
// vector: none done): one per namespace in order of first appearance,
// the cluster-scoped ones last. Each is paired with the targets it reads.
struct PollCommand {
  std::vector<std::string> argv;
  std::vector<size_t> targets;
};
std::vector<PollCommand> poll_commands(const WavePoll& poll, const std::vector<bool>& done = {});

// One object as last seen.
struct ObjectWait {
  Health health{HealthStatus::kMissing, "not found yet"};
  bool done = false;    // meets its rule
  bool failed = false;  // Degraded against a rule that forbids it
};

// `live` is the object kubectl returned, or nullptr when it was not found.
ObjectWait judge(const WaitTarget& target, const Json* live);

// After each poll, for progress output.
struct WaveProgress {
  const WavePoll& poll;
  const std::vector<ObjectWait>& objects;  // by target
  std::vector<size_t> newly_done;          // targets done at this poll, not before
  int64_t elapsed_milliseconds = 0;
};

enum class WaitEnd {
  kDone,      // every target is done
  kDegraded,  // a target failed (ObjectWait::failed)
  kDeadline,  // timeout_seconds passed first
  kKubectl,   // kubectl failed (or answered what is not JSON) three polls in a row
};

struct WaveWaitResult {
  WaitEnd end = WaitEnd::kDone;
  std::vector<ObjectWait> objects;  // by target, as last seen
  int64_t elapsed_milliseconds = 0;
  std::vector<std::string> failed_argv;  // kKubectl: the last failing call
  ProcessResult failure;                 // kKubectl: its result
  bool ok() const { return end == WaitEnd::kDone; }
};

// Polls until the wait ends (WaitEnd). A kubectl call that fails is
// retried at the next poll: the API server may be briefly away while a
// wave installs webhooks or definitions. Throws what the runner throws.
WaveWaitResult wait_for_wave(const WavePoll& poll, ProcessRunner& runner, Ticker& ticker,
                             const std::function<void(const WaveProgress&)>& on_progress = {});

// For people, one line each, indented by two spaces: every target not
// done, failed ones first, "Deployment/web @ app: Progressing: 0 of 1
// replicas available".
std::string describe_unfinished(const WavePoll& poll, const WaveWaitResult& result);

// "Healthy: 1 of 1 replicas available", or "exists" for a kExists target
// that is done: what a line about one object says.
std::string describe_object(const WaitTarget& target, const ObjectWait& object);

}  // namespace kix
