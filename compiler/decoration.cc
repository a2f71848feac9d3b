#include "compiler/decoration.h"

#include <algorithm>
#include <string_view>

namespace kix::compiler {

bool is_cluster_scoped(const std::string& kind) {
  static constexpr std::string_view kKinds[] = {"Namespace",
                                                "Node",
                                                "PersistentVolume",
                                                "StorageClass",
                                                "ClusterRole",
                                                "ClusterRoleBinding",
                                                "CustomResourceDefinition",
                                                "PriorityClass",
                                                "IngressClass",
                                                "ClusterIssuer",
                                                "RuntimeClass",
                                                "MutatingWebhookConfiguration",
                                                "ValidatingWebhookConfiguration",
                                                "APIService",
                                                "CSIDriver",
                                                "VolumeSnapshotClass",
                                                "ClusterImageCatalog",
                                                "GatewayClass"};
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

bool is_workload(const std::string& kind) {
  return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
         kind == "ReplicaSet" || kind == "Job";
}

Json selector_labels(const ResourceOrigin& origin) {
  return Json{{"app.kubernetes.io/name", origin.package},
              {"app.kubernetes.io/instance", origin.instance},
              {"app.kubernetes.io/component", origin.component}};
}

namespace {

Json& object_at(Json& parent, const char* key) {
  Json& child = parent[key];
  if (!child.is_object()) child = Json::object();
  return child;
}

}  // namespace

void decorate(Json& manifest, const ResourceOrigin& origin) {
  Json& metadata = object_at(manifest, "metadata");
  if (!metadata.contains("name")) metadata["name"] = origin.instance;
  std::string kind = manifest.value("kind", "");
  if (is_cluster_scoped(kind)) {
    metadata.erase("namespace");
  } else {
    metadata["namespace"] = origin.ns;
  }
  Json& labels = object_at(metadata, "labels");
  labels.update(selector_labels(origin));
  labels["app.kubernetes.io/part-of"] = origin.part_of;
  labels["app.kubernetes.io/managed-by"] = "kix";
  if (!is_workload(kind)) return;
  Json& spec = object_at(manifest, "spec");
  if (kind != "Job") {
    Json& selector = object_at(spec, "selector");
    if (!selector.contains("matchLabels") && !selector.contains("matchExpressions")) {
      selector["matchLabels"] = selector_labels(origin);
    }
  }
  Json& pod_labels = object_at(object_at(object_at(spec, "template"), "metadata"), "labels");
  pod_labels.update(selector_labels(origin));
  // Pods carry the selector labels even when the template gave its own
  // selector, so a derived Service selector always matches.
  if (kind != "Job" && spec["selector"].contains("matchLabels") &&
      spec["selector"]["matchLabels"].is_object()) {
    pod_labels.update(spec["selector"]["matchLabels"]);
  }
}

bool select_workload(Json& manifest, const Json& workload) {
  Json labels = Json::object();
  const Json* selector = nullptr;
  if (workload.contains("spec") && workload["spec"].contains("selector"))
    selector = &workload["spec"]["selector"];
  if (selector != nullptr && selector->contains("matchLabels")) {
    labels = (*selector)["matchLabels"];
  } else if (workload.contains("spec") && workload["spec"].contains("template")) {
    labels = workload["spec"]["template"]["metadata"]["labels"];
  }
  std::string kind = manifest.value("kind", "");
  Json& spec = object_at(manifest, "spec");
  if (kind == "Service") {
    spec["selector"] = labels;
  } else if (kind == "PodDisruptionBudget") {
    object_at(spec, "selector")["matchLabels"] = labels;
  } else if (kind == "NetworkPolicy") {
    object_at(spec, "podSelector")["matchLabels"] = labels;
  } else {
    return false;
  }
  return true;
}

}  // namespace kix::compiler
