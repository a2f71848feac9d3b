#include "cluster/health.h"

#include "manifest/pod_template.h"

#include <optional>

namespace kix {

namespace {

// A JSON value at `path` (object keys), or nullptr.
const Json* at(const Json& v, std::initializer_list<const char*> path) {
  return json_at(v, path);
}

int64_t number(const Json& v, std::initializer_list<const char*> path, int64_t fallback = 0) {
  const Json* n = at(v, path);
  return n != nullptr && n->is_number_integer() ? n->get<int64_t>() : fallback;
}

std::string text(const Json& v, std::initializer_list<const char*> path) {
  const Json* s = at(v, path);
  return s != nullptr && s->is_string() ? s->get<std::string>() : "";
}

bool flag(const Json& v, std::initializer_list<const char*> path) {
  const Json* b = at(v, path);
  return b != nullptr && b->is_boolean() && b->get<bool>();
}

struct Condition {
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
};

std::optional<Condition> condition(const Json& v, const std::string& type) {
  const Json* list = at(v, {"status", "conditions"});
  if (list == nullptr || !list->is_array()) return std::nullopt;
  for (const Json& c : *list) {
    if (text(c, {"type"}) != type) continue;
    return Condition{text(c, {"status"}), text(c, {"reason"}), text(c, {"message"})};
  }
  return std::nullopt;
}

std::string because(const Condition& c) {
  std::string out = c.reason;
  if (!c.message.empty()) out += (out.empty() ? "" : ": ") + c.message;
  return out;
}

Health healthy(std::string why) {
  return {HealthStatus::kHealthy, std::move(why)};
}
Health progressing(std::string why) {
  return {HealthStatus::kProgressing, std::move(why)};
}
Health degraded(std::string why) {
  return {HealthStatus::kDegraded, std::move(why)};
}
Health suspended(std::string why) {
  return {HealthStatus::kSuspended, std::move(why)};
}

std::string of(int64_t n, int64_t total, const std::string& what) {
  return std::to_string(n) + " of " + std::to_string(total) + " " + what;
}

Health deployment(const Json& v) {
  const int64_t want = number(v, {"spec", "replicas"}, 1);
  if (flag(v, {"spec", "paused"})) return suspended("the rollout is paused");
  if (auto p = condition(v, "Progressing");
      p && p->status == "False" && p->reason == "ProgressDeadlineExceeded") {
    return degraded(because(*p));
  }
  if (auto f = condition(v, "ReplicaFailure"); f && f->status == "True") {
    return degraded(because(*f));
  }
  const int64_t updated = number(v, {"status", "updatedReplicas"});
  const int64_t available = number(v, {"status", "availableReplicas"});
  const int64_t total = number(v, {"status", "replicas"});
  if (updated < want) return progressing(of(updated, want, "replicas updated"));
  if (total > updated)
    return progressing(std::to_string(total - updated) + " old replicas still running");
  if (available < want) return progressing(of(available, want, "replicas available"));
  return healthy(of(available, want, "replicas available"));
}

Health statefulset(const Json& v) {
  const int64_t want = number(v, {"spec", "replicas"}, 1);
  const int64_t ready = number(v, {"status", "readyReplicas"});
  if (text(v, {"spec", "updateStrategy", "type"}) != "OnDelete") {
    const int64_t updated = number(v, {"status", "updatedReplicas"});
    if (updated < want) return progressing(of(updated, want, "replicas updated"));
    const std::string current = text(v, {"status", "currentRevision"});
    const std::string update = text(v, {"status", "updateRevision"});
    if (!update.empty() && current != update) return progressing("rolling out revision " + update);
  }
  if (ready < want) return progressing(of(ready, want, "replicas ready"));
  return healthy(of(ready, want, "replicas ready"));
}

Health daemonset(const Json& v) {
  const int64_t want = number(v, {"status", "desiredNumberScheduled"});
  const int64_t updated = number(v, {"status", "updatedNumberScheduled"});
  const int64_t available = number(v, {"status", "numberAvailable"});
  if (updated < want) return progressing(of(updated, want, "nodes updated"));
  if (available < want) return progressing(of(available, want, "nodes available"));
  return healthy(of(available, want, "nodes available"));
}

Health replicaset(const Json& v) {
  if (auto f = condition(v, "ReplicaFailure"); f && f->status == "True") {
    return degraded(because(*f));
  }
  const int64_t want = number(v, {"spec", "replicas"}, 1);
  const int64_t available = number(v, {"status", "availableReplicas"});
  if (available < want) return progressing(of(available, want, "replicas available"));
  return healthy(of(available, want, "replicas available"));
}

Health job(const Json& v) {
  if (auto c = condition(v, "Complete"); c && c->status == "True") return healthy("complete");
  if (auto f = condition(v, "Failed"); f && f->status == "True") return degraded(because(*f));
  if (flag(v, {"spec", "suspend"})) return suspended("suspended");
  return progressing(std::to_string(number(v, {"status", "active"})) + " pods active, " +
                     std::to_string(number(v, {"status", "succeeded"})) + " succeeded");
}

Health pod(const Json& v) {
  const std::string phase = text(v, {"status", "phase"});
  if (phase == "Succeeded") return healthy("succeeded");
  if (phase == "Failed")
    return degraded(text(v, {"status", "reason"}).empty() ? "failed"
                                                          : text(v, {"status", "reason"}));
  // A container that cannot start will not start by waiting.
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const Json* statuses = at(v, {"status", list});
    if (statuses == nullptr || !statuses->is_array()) continue;
    for (const Json& c : *statuses) {
      const std::string reason = text(c, {"state", "waiting", "reason"});
      if (reason == "CrashLoopBackOff" || reason == "ImagePullBackOff" ||
          reason == "ErrImagePull" || reason == "CreateContainerConfigError" ||
          reason == "InvalidImageName") {
        const std::string name = text(c, {"name"});
        return degraded((name.empty() ? "a container" : name) + ": " + reason);
      }
    }
  }
  if (auto r = condition(v, "Ready"); r && r->status == "True") return healthy("ready");
  return progressing(phase.empty() ? "not ready" : phase);
}

Health claim(const Json& v) {
  const std::string phase = text(v, {"status", "phase"});
  if (phase == "Bound") return healthy("bound");
  if (phase == "Lost") return degraded("its volume is lost");
  return progressing(phase.empty() ? "waiting for a volume" : phase + ": waiting for a volume");
}

Health has_address(const Json& v, const std::string& what) {
  const Json* ingress = at(v, {"status", "loadBalancer", "ingress"});
  if (ingress != nullptr && ingress->is_array() && !ingress->empty()) {
    const Json& first = (*ingress)[0];
    const std::string ip = text(first, {"ip"});
    return healthy("address " + (ip.empty() ? text(first, {"hostname"}) : ip));
  }
  return progressing(what + " has no address yet");
}

Health autoscaler(const Json& v) {
  for (const char* type : {"AbleToScale", "ScalingActive"}) {
    if (auto c = condition(v, type); c && c->status == "False") {
      // ScalingDisabled is a choice (minReplicas 0), not a failure.
      if (c->reason == "ScalingDisabled") return suspended(because(*c));
      return degraded(because(*c));
    }
  }
  return healthy(std::to_string(number(v, {"status", "currentReplicas"})) + " replicas");
}

Health cnpg_cluster(const Json& v) {
  const std::string phase = text(v, {"status", "phase"});
  const Json* annotations = at(v, {"metadata", "annotations"});
  if (annotations != nullptr && text(*annotations, {"cnpg.io/hibernation"}) == "on") {
    return suspended("hibernated");
  }
  if (auto r = condition(v, "Ready"); r && r->status == "True") {
    return healthy(phase.empty() ? "ready" : phase);
  }
  for (const char* bad : {"failed", "Failed", "error", "Error", "cannot", "Cannot"}) {
    if (phase.find(bad) != std::string::npos) return degraded(phase);
  }
  return progressing(phase.empty() ? "not ready" : phase);
}

Health sgcluster(const Json& v) {
  if (auto f = condition(v, "Failed"); f && f->status == "True") return degraded(because(*f));
  for (const char* type : {"PendingRestart", "PendingUpgrade"}) {
    if (auto p = condition(v, type); p && p->status == "True") return progressing(type);
  }
  const Json* conditions = at(v, {"status", "conditions"});
  if (conditions == nullptr) return progressing("the operator has not reported yet");
  return healthy("no failure or pending restart");
}

Health certificate(const Json& v) {
  if (auto r = condition(v, "Ready"); r && r->status == "True") return healthy(because(*r));
  if (auto i = condition(v, "Issuing"); i && i->status == "False" && i->reason == "Failed") {
    return degraded(because(*i));
  }
  if (auto r = condition(v, "Ready")) return progressing(because(*r));
  return progressing("not issued yet");
}

// A definition's kind can be used once the API server serves it: until
// then, applying a resource of that kind fails with "no matches for kind".
Health definition(const Json& v) {
  if (auto n = condition(v, "NamesAccepted"); n && n->status == "False") {
    return degraded(because(*n));
  }
  if (auto e = condition(v, "Established"); e && e->status == "True") return healthy("established");
  return progressing("not established yet");
}

// The standard conditions, for kinds kix has no rule for (kstatus).
Health standard(const Json& v) {
  if (auto s = condition(v, "Stalled"); s && s->status == "True") return degraded(because(*s));
  if (auto r = condition(v, "Reconciling"); r && r->status == "True")
    return progressing(because(*r));
  if (auto r = condition(v, "Ready")) {
    if (r->status == "True") return healthy(because(*r).empty() ? "ready" : because(*r));
    return progressing(because(*r).empty() ? "not ready" : because(*r));
  }
  return healthy("exists");
}

}  // namespace

Health evaluate_health(const Json& v) {
  if (!v.is_object() || !v.contains("kind") || !v["kind"].is_string() ||
      !v.contains("apiVersion") || !v["apiVersion"].is_string()) {
    return {HealthStatus::kUnknown, "not a Kubernetes object"};
  }
  if (at(v, {"metadata", "deletionTimestamp"}) != nullptr) return progressing("being deleted");
  const int64_t generation = number(v, {"metadata", "generation"}, -1);
  const int64_t observed = number(v, {"status", "observedGeneration"}, -1);
  if (generation >= 0 && observed >= 0 && observed < generation) {
    return progressing("the controller has not seen generation " + std::to_string(generation) +
                       " yet");
  }
  const std::string api = v["apiVersion"].get<std::string>();
  const std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
  const std::string kind = v["kind"].get<std::string>();
  if (group == "apps" && kind == "Deployment") return deployment(v);
  if (group == "apps" && kind == "StatefulSet") return statefulset(v);
  if (group == "apps" && kind == "DaemonSet") return daemonset(v);
  if (group == "apps" && kind == "ReplicaSet") return replicaset(v);
  if (group == "batch" && kind == "Job") return job(v);
  if (group == "batch" && kind == "CronJob") {
    return flag(v, {"spec", "suspend"}) ? suspended("suspended") : healthy("scheduled");
  }
  if (group.empty() && kind == "Pod") return pod(v);
  if (group.empty() && kind == "PersistentVolumeClaim") return claim(v);
  if (group.empty() && kind == "Service") {
    return text(v, {"spec", "type"}) == "LoadBalancer" ? has_address(v, "the load balancer")
                                                       : healthy("exists");
  }
  if (group == "networking.k8s.io" && kind == "Ingress") return has_address(v, "the ingress");
  if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") return autoscaler(v);
  if (group == "postgresql.cnpg.io" && kind == "Cluster") return cnpg_cluster(v);
  if (group == "stackgres.io" && kind == "SGCluster") return sgcluster(v);
  if (group == "cert-manager.io" && kind == "Certificate") return certificate(v);
  if (group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") return definition(v);
  return standard(v);
}

const char* health_status_name(HealthStatus status) {
  switch (status) {
    case HealthStatus::kHealthy:
      return "Healthy";
    case HealthStatus::kProgressing:
      return "Progressing";
    case HealthStatus::kDegraded:
      return "Degraded";
    case HealthStatus::kSuspended:
      return "Suspended";
    case HealthStatus::kMissing:
      return "Missing";
    case HealthStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

}  // namespace kix
