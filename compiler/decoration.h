// What the compiler adds to every emitted resource: its namespace, the
// standard labels, and selectors derived from the workload they select, so
// a Service always matches its pods.
#pragma once

#include <string>

#include "manifest/canonical_json.h"

namespace kix::compiler {

// Kinds that live outside namespaces (Namespace, StorageClass, ClusterRole...).
bool is_cluster_scoped(const std::string& kind);

// Kinds whose pods are described by spec.template (Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job).
bool is_workload(const std::string& kind);

// Who made a resource, for its labels.
struct ResourceOrigin {
  std::string package;    // app.kubernetes.io/name
  std::string instance;   // app.kubernetes.io/instance
  std::string part_of;    // app.kubernetes.io/part-of (the namespace)
  std::string component;  // app.kubernetes.io/component (the template key)
  std::string ns;         // the instance's namespace
};

// The labels that select a workload's pods: name, instance and component.
Json selector_labels(const ResourceOrigin& origin);

// Sets metadata.namespace for namespaced kinds (removes it for cluster-
// scoped ones), fills a missing metadata.name with the instance name, and
// merges the standard labels (which win over the template's). Workloads get
// spec.selector.matchLabels (unless given) and the selector labels on their
// pod template.
void decorate(Json& manifest, const ResourceOrigin& origin);

// Points `manifest` at the pods of `workload` (a decorated workload
// manifest): spec.selector for a Service, spec.selector.matchLabels for a
// PodDisruptionBudget, spec.podSelector.matchLabels for a NetworkPolicy.
// Returns false when the kind cannot select pods.
bool select_workload(Json& manifest, const Json& workload);

}  // namespace kix::compiler
