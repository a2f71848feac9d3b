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

// The last root deployed to `input.cluster` with `context` (empty when
// there is none, when it is `input.root` itself, or when the input has no
// cluster name), loaded from the store; Secrets without their values (only
// identities and waves are needed).
std::vector<DeployedBefore> deployed_before(const ClusterInput& input, const std::string& context,
                                            Context& ctx);

}  // namespace kix::cli
