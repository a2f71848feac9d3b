// Deploy order (docs/commands/plan.md): the resources of a graph grouped into waves that
// can be applied one after another.
//
// Rules, in order of strength:
//  - a resource comes in a later wave than everything it references
//    (Graph::refs);
//  - a namespaced resource comes after its Namespace, a custom resource after
//    its CustomResourceDefinition, when those are part of the graph;
//  - Namespaces and CRDs that reference nothing form the first wave alone;
//  - within a wave, resources follow Helm's install order by kind
//    (Namespace, NetworkPolicy, ..., ServiceAccount, Secret, ConfigMap,
//    StorageClass, PVC, CRD, RBAC, Service, workloads, Ingress, webhooks),
//    unknown kinds last, then by namespace and name.
#pragma once

#include <string>
#include <vector>

#include "manifest/merkle.h"

namespace kix {

// Each wave lists indices into graph.manifests; every manifest is in exactly
// one wave and no wave is empty.
std::vector<std::vector<size_t>> plan_waves(const Graph& graph);

// The position of `kind` in Helm's install order (smaller installs first).
int install_order(const std::string& kind);

}  // namespace kix
