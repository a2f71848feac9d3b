#include "cli/deploy_history.h"

#include <set>

#include "cli/store_cli.h"

namespace kix::cli {

std::vector<DeployedBefore> deployed_before(const ClusterInput& input, const std::string& context,
                                            Context& ctx) {
  if (input.cluster.empty()) return {};
  std::unique_ptr<Store> store = open_store(ctx);
  std::vector<Deployment> since;  // the last complete one, then the partial ones after it
  for (Deployment& d : store->deployments(input.cluster)) {  // oldest first
    if (d.context != context) continue;
    if (!d.partial) since.clear();
    since.push_back(std::move(d));
  }
  std::vector<DeployedBefore> out;
  std::set<Hash> loaded;
  for (const Deployment& d : since) {
    if (!d.partial && input.root && *input.root == d.root) continue;
    if (!loaded.insert(d.root).second) continue;
    DeployedBefore before;
    before.graph = store->load_graph(d.root).graph;
    before.label = (d.generation ? "generation " + std::to_string(*d.generation) + " " : "") +
                   "(root " + d.root.hex().substr(0, 12) + ")" +
                   (d.partial ? ", deployed partially" : "");
    out.push_back(std::move(before));
  }
  return out;
}

}  // namespace kix::cli
