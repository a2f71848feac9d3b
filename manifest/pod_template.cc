#include "manifest/pod_template.h"

namespace kix {

const Json* json_child(const Json& v, const char* key) {
  if (!v.is_object()) return nullptr;
  auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

const Json* json_at(const Json& v, std::initializer_list<const char*> keys) {
  const Json* cur = &v;
  for (const char* k : keys) {
    cur = json_child(*cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

namespace {

bool is_templated_workload(const std::string& kind) {
  return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
         kind == "ReplicaSet" || kind == "Job" || kind == "ReplicationController";
}

std::string kind_of(const Json& manifest) {
  const Json* kind = json_child(manifest, "kind");
  return kind != nullptr && kind->is_string() ? kind->get<std::string>() : std::string();
}

}  // namespace

bool has_pods(const std::string& kind) {
  return kind == "Pod" || kind == "CronJob" || is_templated_workload(kind);
}

const Json* pod_spec(const Json& manifest, std::string* prefix) {
  const std::string kind = kind_of(manifest);
  auto at = [&](const char* where, std::initializer_list<const char*> keys) {
    if (prefix != nullptr) *prefix = where;
    return json_at(manifest, keys);
  };
  if (kind == "Pod") return at("spec", {"spec"});
  if (kind == "CronJob") {
    return at("spec.jobTemplate.spec.template.spec",
              {"spec", "jobTemplate", "spec", "template", "spec"});
  }
  if (is_templated_workload(kind)) return at("spec.template.spec", {"spec", "template", "spec"});
  return nullptr;
}

const Json* pod_labels(const Json& manifest) {
  const std::string kind = kind_of(manifest);
  if (kind == "Pod") return json_at(manifest, {"metadata", "labels"});
  if (kind == "CronJob") {
    return json_at(manifest, {"spec", "jobTemplate", "spec", "template", "metadata", "labels"});
  }
  if (is_templated_workload(kind))
    return json_at(manifest, {"spec", "template", "metadata", "labels"});
  return nullptr;
}

}  // namespace kix
