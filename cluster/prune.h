// Prune by root diff (docs/commands/deploy.md, "Prune"): what a deploy
// deletes after its last wave.
//
// The store knows the root deployed before and the one being deployed, so
// the resources to delete are exactly those of the earlier root(s) that
// the new root lacks; no label selector or ApplySet is needed. Objects are
// the same object when their API group, kind, namespace and name are equal
// (a new API version of the same object is not a deletion).
//
// Kept, and reported as kept with the reason:
//  - Namespaces: deleting one deletes everything in it, kix's or not;
//  - CustomResourceDefinitions: deleting one deletes every custom resource
//    of its kind, in every namespace;
//  - objects annotated `helm.sh/resource-policy: keep`;
//  - kix's own kinds (RequiredSecret, GeneratedSecret): their Secrets hold
//    values kix never had or cannot make again.
// Helm test hooks were never applied and are not deleted either.
//
// The deletions come in reverse wave order of the root they came from
// (dependents before what they depend on), one
//   kubectl [--context C] delete kind[.group]/NAME [-n NS] --ignore-not-found --wait=false
// per object (resource_arg in cluster/deploy.h), so an object already gone
// is not an error.
//
// Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cluster/deploy.h"
#include "manifest/merkle.h"

namespace kix {

struct PruneItem {
  ResourceId id;
  std::string kept_because;  // empty: deleted
};

struct PrunePlan {
  std::vector<DeployStep> steps;  // kind kDelete, in the order to run them
  std::vector<PruneItem> kept;    // lacking from the new root, but not deleted
};

// The plan for deploying `next` after `previous` (the roots deployed before
// to the same cluster and context, oldest first; an object in several is
// deleted once, in the order of the newest that has it). Steps are numbered
// after `first_wave` (the new root's wave count), for messages.
// Namespaces named in `owned_namespaces` are deleted like any other object
// (a preview's own namespaces, when it is destroyed: compiler/preview.h),
// after everything else, since they come first in wave order.
PrunePlan plan_prune(const std::vector<Graph>& previous, const Graph& next,
                     const DeployOptions& options, size_t first_wave,
                     const std::set<std::string>& owned_namespaces = {});

}  // namespace kix
