#include "manifest/config_hash.h"

#include <algorithm>

#include "util/hash.h"

namespace kix {

namespace {

// The pod template of a workload that rolls, or nullptr.
Json* pod_template(Json& value, const ResourceId& id) {
  const std::string group = id.group();
  Json* spec = value.contains("spec") && value["spec"].is_object() ? &value["spec"] : nullptr;
  if (spec == nullptr) return nullptr;
  if (group == "apps" &&
      (id.kind == "Deployment" || id.kind == "StatefulSet" || id.kind == "DaemonSet")) {
    return spec->contains("template") && (*spec)["template"].is_object() ? &(*spec)["template"]
                                                                         : nullptr;
  }
  if (group == "batch" && id.kind == "CronJob") {
    Json* job = spec->contains("jobTemplate") && (*spec)["jobTemplate"].is_object()
                    ? &(*spec)["jobTemplate"]
                    : nullptr;
    if (job == nullptr || !job->contains("spec") || !(*job)["spec"].is_object()) return nullptr;
    Json& job_spec = (*job)["spec"];
    return job_spec.contains("template") && job_spec["template"].is_object() ? &job_spec["template"]
                                                                             : nullptr;
  }
  return nullptr;
}

bool is_config(const ResourceId& id) {
  return id.group().empty() && (id.kind == "ConfigMap" || id.kind == "Secret");
}

}  // namespace

void annotate_config_hashes(std::vector<Manifest>& manifests,
                            const std::vector<std::vector<size_t>>& refs) {
  for (size_t i = 0; i < manifests.size() && i < refs.size(); ++i) {
    Manifest& m = manifests[i];
    std::vector<std::string> lines;
    for (size_t to : refs[i]) {
      if (to >= manifests.size() || !is_config(manifests[to].id)) continue;
      const ResourceId& id = manifests[to].id;
      lines.push_back(id.kind + "/" + id.ns + "/" + id.name + " " + manifests[to].blob.hex() +
                      "\n");
    }
    if (lines.empty()) continue;
    Json value = m.value;
    Json* tmpl = pod_template(value, m.id);
    if (tmpl == nullptr) continue;
    std::sort(lines.begin(), lines.end());
    lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    std::string text;
    for (const std::string& l : lines) text += l;
    if (!tmpl->contains("metadata") || !(*tmpl)["metadata"].is_object()) {
      (*tmpl)["metadata"] = Json::object();
    }
    Json& metadata = (*tmpl)["metadata"];
    if (!metadata.contains("annotations") || !metadata["annotations"].is_object()) {
      metadata["annotations"] = Json::object();
    }
    metadata["annotations"][kConfigHashAnnotation] = "sha256:" + Hash::of(text).hex();
    Manifest updated = make_manifest(std::move(value), m.location);
    m.value = std::move(updated.value);
    m.canonical = std::move(updated.canonical);
    m.blob = updated.blob;
  }
}

}  // namespace kix
