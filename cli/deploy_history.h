// What was deployed before to a cluster through one kubectl context, read
// from the store's deployment records: what `kix deploy` prunes against and
// what `kix diff --kubectl` calls orphaned.
#pragma once

#include <string>
#include <vector>

#include "cli/cluster_cli.h"
#include "cli/context.h"
#include "cluster/drift.h"

namespace kix::cli {

// The roots deployed to `input.cluster` with `context` that may have left
// objects in the cluster, oldest first: the last complete deployment and
// every partial one after it (a deploy that stopped part-way left some of
// its waves behind). Empty when there is none or the input has no cluster
// name; the last complete one is left out when it is `input.root` itself.
// Loaded from the store; Secrets without their values (only identities
// and waves are needed).
std::vector<DeployedBefore> deployed_before(const ClusterInput& input, const std::string& context,
                                            Context& ctx);

}  // namespace kix::cli
