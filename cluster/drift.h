// Drift (docs/commands/diff.md): what kix compiled against the live cluster, in the
// diff model of manifest/build_diff.h (the left side is kix's desired state,
// the right side the cluster).
#pragma once

#include <string>
#include <vector>

#include "manifest/build_diff.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"

namespace kix {

// Desired manifests against live objects (a kubectl dump or kubectl get
// output). Live objects are normalized first (cluster/live_normalize.h), so
// server-set fields and defaults are not drift. List elements another field
// manager added to lists kix manages (cluster/field_owners.h) are taken out
// before the comparison and listed in DiffReport::foreign_elements: they
// are not differences. A desired resource without
// a namespace matches a live one in "default". Live objects the cluster
// creates by itself (is_cluster_generated) are never reported as
// cluster-only. Throws kConflict when one side holds the same identity twice.
DiffReport diff_against_live(const std::vector<Manifest>& desired,
                             const std::vector<Manifest>& live);

// A root deployed before, and how to name it ("generation 3 (root abc…)").
struct DeployedBefore {
  Graph graph;
  std::string label;
};

// Marks the cluster-only resources of a live report that kix orphaned
// (ResourceDiff::orphaned): those a root deployed before had (newest
// first), then those labelled app.kubernetes.io/managed-by: kix.
void mark_orphans(DiffReport& report, const std::vector<Manifest>& live,
                  const std::vector<DeployedBefore>& previous);

// Objects no one writes by hand: those a controller owns
// (ownerReferences with controller: true: ReplicaSets, Pods, EndpointSlices),
// Endpoints, EndpointSlices, Events, service account token Secrets, and the
// per-namespace ConfigMap kube-root-ca.crt and ServiceAccount default.
bool is_cluster_generated(const Json& live);

}  // namespace kix
