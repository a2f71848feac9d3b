// Fields Kubernetes does not let an update change (docs/commands/diff.md,
// "Requires replace"): an apply that changes one fails, part-way through a
// deploy, so kix finds them first.
//
//   Deployment, ReplicaSet, DaemonSet (apps)   spec.selector
//   StatefulSet (apps)                         spec.selector, spec.serviceName,
//                                              spec.volumeClaimTemplates,
//                                              spec.podManagementPolicy
//   Job (batch)                                spec.selector, spec.template,
//                                              spec.completionMode
//   Service                                    spec.clusterIP, spec.clusterIPs
//   PersistentVolumeClaim                      spec.accessModes, spec.storageClassName,
//                                              spec.volumeMode, spec.selector,
//                                              spec.dataSource, spec.dataSourceRef,
//                                              spec.volumeName
//   PersistentVolume                           its volume source (spec.nfs, spec.csi,
//                                              spec.hostPath, spec.local, spec.iscsi,
//                                              spec.fc, spec.rbd, spec.cephfs),
//                                              spec.volumeMode
//   StorageClass (storage.k8s.io)              provisioner, parameters,
//                                              reclaimPolicy, volumeBindingMode
//   RoleBinding, ClusterRoleBinding (rbac)     roleRef
//   ConfigMap, Secret with immutable: true     data, binaryData, stringData, immutable
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "manifest/json_diff.h"

namespace kix {

// The paths of `changes` (from diff_manifests(left, right)) that only a
// delete and re-create can make: an immutable field of the resource's kind,
// or the content of a ConfigMap or Secret that either side marks
// `immutable: true`. In the order of `changes`.
std::vector<std::string> immutable_changes(const Json& left, const Json& right,
                                           const std::vector<FieldChange>& changes);

}  // namespace kix
