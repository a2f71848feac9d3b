// Recording a deploy in the store (kix deploy, docs/commands/deploy.md), so
// `kix store log` shows which generation is deployed and gc keeps it.
#pragma once

#include <string>

#include "store/store.h"

namespace kix {

struct DeployRecord {
  Deployment deployment;
  bool new_generation = false;  // the root became a generation of the cluster first
};

// Records that `graph`, whose root is hashed with `cluster`, was deployed to
// `cluster` with kubectl context `context`. A root that is no generation of
// the cluster yet (a freshly compiled definition, plain manifests) is first
// added as a new generation with `message`; redeploying a stored generation
// appends none. Throws what Store::add and Store::record_deployment throw.
// With `partial`, the deploy stopped part-way (Store::record_deployment).
// `source_revision` goes with the generation it adds, if it adds one.
DeployRecord record_deploy(Store& store, const Graph& graph, const std::string& cluster,
                           const std::string& context, const std::string& message, int64_t time,
                           std::optional<Deployment::Partial> partial = std::nullopt,
                           const std::string& source_revision = "");

}  // namespace kix
