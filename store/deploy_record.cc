#include "store/deploy_record.h"

namespace kix {

DeployRecord record_deploy(Store& store, const Graph& graph, const std::string& cluster,
                           const std::string& context, const std::string& message, int64_t time,
                           std::optional<Deployment::Partial> partial,
                           const std::string& source_revision) {
  const Hash root = graph.root(cluster);
  bool is_generation = false;
  for (const Generation& g : store.generations_of_root(root)) {
    if (g.cluster == cluster) is_generation = true;
  }
  DeployRecord record;
  if (!is_generation) {
    AddOptions options;
    options.cluster = cluster;
    options.message = message;
    options.source_revision = source_revision;
    options.time = time;
    store.add(graph, options);
    record.new_generation = true;
  }
  record.deployment = store.record_deployment(cluster, root, time, context, partial);
  return record;
}

}  // namespace kix
