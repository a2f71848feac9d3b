#include "cluster/prune.h"

#include <algorithm>
#include <map>
#include <set>

#include "manifest/secret_sources.h"
#include "manifest/waves.h"

namespace kix {

namespace {

// Why an object the new root lacks stays, or "" when it goes.
std::string kept_because(const Manifest& m, const std::set<std::string>& owned_namespaces) {
  if (is_secret_source(m.id)) {
    return "a " + m.id.kind +
           ": its Secret holds values kix never wrote down; delete it with kubectl when it is "
           "no longer needed";
  }
  if (m.id.group().empty() && m.id.kind == "Namespace" && !owned_namespaces.count(m.id.name)) {
    return "a Namespace: deleting it would delete everything in it; delete it with kubectl "
           "when it is empty";
  }
  if (m.id.group() == "apiextensions.k8s.io" && m.id.kind == "CustomResourceDefinition") {
    return "a CustomResourceDefinition: deleting it would delete every resource of its kind";
  }
  const Json& value = m.value;
  if (value.contains("metadata") && value["metadata"].is_object() &&
      value["metadata"].contains("annotations") && value["metadata"]["annotations"].is_object()) {
    const Json& annotations = value["metadata"]["annotations"];
    auto policy = annotations.find("helm.sh/resource-policy");
    if (policy != annotations.end() && policy->is_string() && *policy == "keep") {
      return "annotated helm.sh/resource-policy: keep";
    }
  }
  return "";
}

}  // namespace

PrunePlan plan_prune(const std::vector<Graph>& previous, const Graph& next,
                     const DeployOptions& options, size_t first_wave,
                     const std::set<std::string>& owned_namespaces) {
  std::set<std::string> wanted;
  for (const Manifest& m : next.manifests) wanted.insert(m.id.key());
  PrunePlan plan;
  std::set<std::string> seen;
  // Newest first: an object is deleted in the place the newest root that
  // had it gave it.
  for (auto graph = previous.rbegin(); graph != previous.rend(); ++graph) {
    std::vector<std::vector<size_t>> waves = plan_waves(*graph);
    for (auto wave = waves.rbegin(); wave != waves.rend(); ++wave) {
      // Within a wave, the reverse of the order kubectl applied them in.
      for (auto i = wave->rbegin(); i != wave->rend(); ++i) {
        const Manifest& m = graph->manifests[*i];
        if (wanted.count(m.id.key()) || !seen.insert(m.id.key()).second) continue;
        if (is_helm_test(m.value)) continue;  // never applied
        if (std::string why = kept_because(m, owned_namespaces); !why.empty()) {
          plan.kept.push_back({m.id, std::move(why)});
          continue;
        }
        DeployStep step;
        step.wave = first_wave;
        step.kind = StepKind::kDelete;
        step.argv = kubectl_base(options);
        step.argv.insert(step.argv.end(), {"delete", resource_arg(m.id)});
        add_namespace(step.argv, m.id);
        step.argv.insert(step.argv.end(), {"--ignore-not-found", "--wait=false"});
        step.description = "prune " + m.id.display();
        plan.steps.push_back(std::move(step));
      }
    }
  }
  return plan;
}

}  // namespace kix
