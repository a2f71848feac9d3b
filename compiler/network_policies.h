// NetworkPolicies derived from the dependency graph
// (docs/cluster-definitions.md, "Network policies").
//
// With `networkPolicies: derive` (or a list of namespaces), each such
// namespace with resources gets
//   kix-default-deny           no ingress (and, with egress, no egress) for
//                              any pod but what the policies below allow;
// and every dependency edge consumer -> provider whose two ends have pods
// gets, in the provider's namespace,
//   kix-allow-<consumer>-to-<provider>
//                              ingress to the provider's pods from the
//                              consumer's pods on the provider's ports
//                              (a consumer of another namespace is named
//                              `<namespace>-<consumer>` and selected with
//                              its namespace's kubernetes.io/metadata.name);
// with `egress: true` also, in the consumer's namespace,
//   kix-egress-<consumer>-to-<provider>   the matching egress rule, and
//   kix-allow-dns                         egress to kube-dns on port 53.
//
// The ends:
//  - a provider's pods and ports are its `out.podSelector` (labels) and
//    `out.ports` (numbers, or {port, protocol}) when its package declares
//    them — the only way for pods an operator makes (CloudNativePG's
//    `cnpg.io/cluster`, StackGres's labels) — else those of the first of
//    its Services with a selector, each port's targetPort (a named one
//    resolved through the container ports of its workloads);
//  - a consumer's pods are its `out.podSelector`, else the labels kix puts
//    on the pods of its workloads (app.kubernetes.io/name and instance).
// An edge with an end that has no pods (a claim, a StorageClass, an
// operator, an external instance) gets no policy.
//
// Each policy references the resources its provider end came from (the
// Service, or what out.podSelector and out.ports derive from), so a changed
// port rehashes exactly the policies that let traffic to it; the consumer
// end is labels fixed by the consumer's package and instance name, so a
// change to the consumer's own workload does not rehash them.
//
// Thread-safety: not shared; runs on one compilation.
#pragma once

#include <optional>

#include "compiler/cluster_definition.h"
#include "compiler/compilation.h"

namespace kix::compiler {

// Appends the policies to `c.resources` (instance kNoInstance, with
// rendered_from naming the edge). Runs after emission, before validation
// and the graph. Errors (an out.podSelector or out.ports of the wrong
// shape) are appended to c.errors at the provider's declaration.
void derive_network_policies(Compilation& c, const NetworkPolicySettings& settings);

// The two ends of the need consumer -> provider (indices into
// c.instances) as the policies see them: the consumer's pod labels, the
// provider's pod labels and ports; nullopt when either has no pods.
// Malformed out.podSelector / out.ports give nullopt (the policies report
// them). Post-deploy checks (compiler/post_deploy_checks.h) use it too.
struct EdgeEnds {
  Json consumer_pods;
  Json provider_pods;
  Json ports;  // NetworkPolicyPort list
};
std::optional<EdgeEnds> edge_ends(const Compilation& c, size_t consumer, size_t provider);

}  // namespace kix::compiler
