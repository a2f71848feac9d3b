// The health of a live object (`kix health`, docs/commands/health.md),
// decided offline from what `kubectl get -o json` returns.
//
//   Healthy      it does what it is for (a Deployment's replicas are
//                updated and available, a Job completed, a claim is bound)
//   Progressing  it is getting there (a rollout, a pending claim, a
//                controller that has not seen the latest generation)
//   Degraded     it failed and will not get there by itself (a rollout past
//                its deadline, a failed Job, a crash-looping pod, a failed
//                database cluster)
//   Suspended    it was paused on purpose (a paused Deployment, a suspended
//                Job or CronJob, a hibernated database cluster)
//   Missing      it does not exist (the caller knows; never from an object)
//   Unknown      its status cannot be read
//
// Rules, most specific first: being deleted is Progressing; a controller
// behind the spec (status.observedGeneration < metadata.generation) is
// Progressing; then per kind — Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job, CronJob, Pod, PersistentVolumeClaim, Service (type
// LoadBalancer), Ingress, HorizontalPodAutoscaler, CloudNativePG Cluster,
// StackGres SGCluster, cert-manager Certificate, CustomResourceDefinition
// (Established) — and for any other kind
// the standard conditions (kstatus): Stalled=True is Degraded,
// Reconciling=True Progressing, Ready=True Healthy, Ready=False
// Progressing; an object with no status to read is Healthy (it exists).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "manifest/canonical_json.h"

namespace kix {

enum class HealthStatus { kHealthy, kProgressing, kDegraded, kSuspended, kMissing, kUnknown };

struct Health {
  HealthStatus status = HealthStatus::kUnknown;
  std::string reason;  // for people: "2 of 3 replicas updated", "ProgressDeadlineExceeded: ..."
};

Health evaluate_health(const Json& live);

// "Healthy", "Progressing", ...
const char* health_status_name(HealthStatus status);

}  // namespace kix
