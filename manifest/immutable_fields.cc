#include "manifest/immutable_fields.h"

#include <map>
#include <utility>

namespace kix {

namespace {

std::string group_of(const Json& manifest) {
  if (!manifest.is_object() || !manifest.contains("apiVersion") ||
      !manifest["apiVersion"].is_string()) {
    return "";
  }
  const std::string api = manifest["apiVersion"].get<std::string>();
  auto slash = api.find('/');
  return slash == std::string::npos ? "" : api.substr(0, slash);
}

std::string kind_of(const Json& manifest) {
  return manifest.is_object() && manifest.contains("kind") && manifest["kind"].is_string()
             ? manifest["kind"].get<std::string>()
             : "";
}

const std::vector<std::string>& immutable_paths(const std::string& group, const std::string& kind) {
  static const std::map<std::pair<std::string, std::string>, std::vector<std::string>> table = {
      {{"apps", "Deployment"}, {"$.spec.selector"}},
      {{"apps", "ReplicaSet"}, {"$.spec.selector"}},
      {{"apps", "DaemonSet"}, {"$.spec.selector"}},
      {{"apps", "StatefulSet"},
       {"$.spec.selector", "$.spec.serviceName", "$.spec.volumeClaimTemplates",
        "$.spec.podManagementPolicy"}},
      {{"batch", "Job"}, {"$.spec.selector", "$.spec.template", "$.spec.completionMode"}},
      {{"", "Service"}, {"$.spec.clusterIP", "$.spec.clusterIPs"}},
      {{"", "PersistentVolumeClaim"},
       {"$.spec.accessModes", "$.spec.storageClassName", "$.spec.volumeMode", "$.spec.selector",
        "$.spec.dataSource", "$.spec.dataSourceRef", "$.spec.volumeName"}},
      {{"", "PersistentVolume"},
       {"$.spec.nfs", "$.spec.csi", "$.spec.hostPath", "$.spec.local", "$.spec.iscsi", "$.spec.fc",
        "$.spec.rbd", "$.spec.cephfs", "$.spec.volumeMode"}},
      {{"storage.k8s.io", "StorageClass"},
       {"$.provisioner", "$.parameters", "$.reclaimPolicy", "$.volumeBindingMode"}},
      {{"rbac.authorization.k8s.io", "RoleBinding"}, {"$.roleRef"}},
      {{"rbac.authorization.k8s.io", "ClusterRoleBinding"}, {"$.roleRef"}},
  };
  static const std::vector<std::string> none;
  auto it = table.find({group, kind});
  return it == table.end() ? none : it->second;
}

// `path` is `prefix` or a field or element below it.
bool under(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

bool marked_immutable(const Json& manifest) {
  return manifest.is_object() && manifest.contains("immutable") && manifest["immutable"] == true;
}

}  // namespace

std::vector<std::string> immutable_changes(const Json& left, const Json& right,
                                           const std::vector<FieldChange>& changes) {
  const std::string group = group_of(left);
  const std::string kind = kind_of(left);
  std::vector<std::string> paths = immutable_paths(group, kind);
  if (group.empty() && (kind == "ConfigMap" || kind == "Secret") &&
      (marked_immutable(left) || marked_immutable(right))) {
    paths.insert(paths.end(), {"$.data", "$.binaryData", "$.stringData", "$.immutable"});
  }
  std::vector<std::string> out;
  for (const FieldChange& change : changes) {
    for (const std::string& prefix : paths) {
      if (under(change.path, prefix)) {
        out.push_back(change.path);
        break;
      }
    }
  }
  return out;
}

}  // namespace kix
