#include "cli/deploy_history.h"

#include "cli/store_cli.h"

namespace kix::cli {

std::vector<DeployedBefore> deployed_before(const ClusterInput& input, const std::string& context,
                                            Context& ctx) {
  if (input.cluster.empty()) return {};
  std::unique_ptr<Store> store = open_store(ctx);
  std::optional<Deployment> last;
  for (Deployment& d : store->deployments(input.cluster)) {
    if (d.context == context) last = std::move(d);  // oldest first: the last one wins
  }
  if (!last || (input.root && *input.root == last->root)) return {};
  DeployedBefore before;
  before.graph = store->load_graph(last->root).graph;
  before.label = (last->generation ? "generation " + std::to_string(*last->generation) + " " : "") +
                 "(root " + last->root.hex().substr(0, 12) + ")";
  return {std::move(before)};
}

}  // namespace kix::cli
