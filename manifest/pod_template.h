// Where a manifest keeps its pods, and the JSON lookups that find them.
//
// A pod template is under spec.template of a workload (Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job), under
// spec.jobTemplate.spec.template of a CronJob, and a Pod is its own.
//
// Thread-safety: pure functions; the pointers point into the argument.
#pragma once

#include <initializer_list>
#include <string>

#include "manifest/canonical_json.h"

namespace kix {

// `v[key]` when `v` is an object that has it, else nullptr.
const Json* json_child(const Json& v, const char* key);
// `v[k1][k2]...`, nullptr as soon as a step is missing.
const Json* json_at(const Json& v, std::initializer_list<const char*> keys);

// Whether a manifest of `kind` has pods (a workload, a CronJob, a Pod).
bool has_pods(const std::string& kind);

// The pod spec of `manifest`, nullptr for a kind without pods. With
// `prefix`, its dotted path ("spec.template.spec") for messages.
const Json* pod_spec(const Json& manifest, std::string* prefix = nullptr);

// The labels its pods get: the template's metadata.labels (a Pod's own);
// nullptr for a kind without pods or a template without labels.
const Json* pod_labels(const Json& manifest);

}  // namespace kix
