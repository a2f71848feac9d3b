// The config hash of pod templates (docs/hashing.md §7, part of the output
// contract): a workload whose ConfigMaps or Secrets change must roll its
// pods, but its own manifest does not change, so `kubectl apply` would do
// nothing. kix knows exactly what each workload consumes (its references),
// so it writes the content hash of those objects into the pod template:
//
//   spec.template.metadata.annotations["kix.dev/config-hash"]
//     (CronJob: spec.jobTemplate.spec.template.metadata.annotations)
//   = "sha256:" + sha256 of the lines "<Kind>/<namespace>/<name> <blob hex>\n"
//     of every ConfigMap and Secret (core API group) the workload
//     references, sorted
//
// A Secret's blob is its hash form (docs/secrets.md), so the annotation
// changes when a value changes and reveals nothing of it. Workloads:
// Deployment, StatefulSet, DaemonSet (apps) and CronJob (batch); a Job's
// template cannot change after creation and a bare Pod does not roll, so
// they get none. A workload that references no ConfigMap or Secret gets
// none; one that has the annotation already gets it replaced.
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"

namespace kix {

inline constexpr const char* kConfigHashAnnotation = "kix.dev/config-hash";

// Sets the annotation on every workload of `manifests`, given the indices
// each references (`refs`, parallel to `manifests`), and recomputes the
// canonical bytes and blob of those it changed. The ConfigMaps' and
// Secrets' blobs must be final (Secrets sealed).
void annotate_config_hashes(std::vector<Manifest>& manifests,
                            const std::vector<std::vector<size_t>>& refs);

}  // namespace kix
