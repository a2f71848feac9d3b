#include "cluster/replace.h"

#include <map>

#include "manifest/build_diff.h"

namespace kix {

std::vector<Replacement> find_replacements(const Graph& next, const Graph& previous) {
  std::vector<Replacement> out;
  for (const ResourceDiff& r : diff_builds(next, previous).resources) {
    if (r.status == DiffStatus::kModified && !r.requires_replace.empty()) {
      out.push_back({r.id, r.requires_replace});
    }
  }
  return out;
}

std::vector<DeployStep> with_replacements(std::vector<DeployStep> steps,
                                          const std::vector<Replacement>& replacements,
                                          const Graph& next,
                                          const std::vector<std::vector<size_t>>& waves,
                                          const DeployOptions& options) {
  if (replacements.empty()) return steps;
  std::map<std::string, size_t> wave_of;
  for (size_t w = 0; w < waves.size(); ++w) {
    for (size_t i : waves[w]) wave_of[next.manifests[i].id.key()] = w;
  }
  std::map<size_t, std::vector<DeployStep>> deletes;  // by wave
  for (const Replacement& r : replacements) {
    auto it = wave_of.find(r.id.key());
    if (it == wave_of.end()) continue;
    DeployStep step;
    step.wave = it->second;
    step.kind = StepKind::kDelete;
    step.argv = kubectl_base(options);
    step.argv.insert(step.argv.end(), {"delete", resource_arg(r.id)});
    add_namespace(step.argv, r.id);
    // Gone before the apply creates it again.
    step.argv.insert(step.argv.end(), {"--ignore-not-found", "--wait=true"});
    step.description = "replace " + r.id.display() + ": delete it first";
    deletes[it->second].push_back(std::move(step));
  }
  std::vector<DeployStep> out;
  for (DeployStep& step : steps) {
    if (step.kind == StepKind::kApply) {
      auto d = deletes.find(step.wave);
      if (d != deletes.end()) {
        for (DeployStep& del : d->second) out.push_back(std::move(del));
        deletes.erase(d);
      }
    }
    out.push_back(std::move(step));
  }
  return out;
}

}  // namespace kix
