// Comparing two sets of resources (DESIGN §8): what kix compiled against
// the live cluster (drift), or one build against another.
//
// Resources are matched by identity (ResourceId::key: group, kind,
// namespace, name; the API version does not matter). The left side is
// always kix's desired state; FieldChange::before holds the left value and
// FieldChange::after the right one. Secret values never leave this module:
// changes under a Secret's data/stringData carry kRedactedValue instead.
#pragma once

#include <string>
#include <vector>

#include "manifest/json_diff.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"

namespace kix {

enum class DiffStatus {
  kModified,           // the content differs (changes lists how)
  kDependencyChanged,  // builds only: same manifest, but something it references changed
  kLeftOnly,           // only kix has it: it will be created
  kRightOnly,          // only the other side has it: not managed by this build
  kIdentical,
};

struct ResourceDiff {
  DiffStatus status = DiffStatus::kIdentical;
  ResourceId id;                     // the left side's identity when it has one
  std::vector<FieldChange> changes;  // kModified only, secret values redacted
  std::vector<std::string>
      dependencies;  // kDependencyChanged: the changed references (display names)
};

struct DiffReport {
  // Every resource of both sides, ordered by status (in the enum's order),
  // then by identity.
  std::vector<ResourceDiff> resources;

  size_t count(DiffStatus status) const;
  bool has_differences() const;  // anything but kIdentical
};

// Desired manifests against live objects (a kubectl dump or kubectl get
// output). Live objects are normalized first (cluster/live_normalize.h), so
// server-set fields and defaults are not drift. A desired resource without
// a namespace matches a live one in "default". Live objects the cluster
// creates by itself (is_cluster_generated) are never reported as
// cluster-only. Throws kConflict when one side holds the same identity twice.
DiffReport diff_against_live(const std::vector<Manifest>& desired,
                             const std::vector<Manifest>& live);

// Two builds: a resource whose manifest is the same but whose Merkle node
// hash differs is kDependencyChanged, not kModified.
DiffReport diff_builds(const Graph& left, const Graph& right);

// Objects no one writes by hand: those a controller owns
// (ownerReferences with controller: true: ReplicaSets, Pods, EndpointSlices),
// Endpoints, EndpointSlices, Events, service account token Secrets, and the
// per-namespace ConfigMap kube-root-ca.crt and ServiceAccount default.
bool is_cluster_generated(const Json& live);

const char* diff_status_name(DiffStatus status);  // "modified", "dependency-changed", ...

}  // namespace kix
