#include "compiler/image_pins.h"

namespace kix::compiler {
namespace {

// Where the pod spec of a workload kind is, as a JSON Pointer.
std::string pod_spec_pointer(const std::string& kind) {
  if (kind == "Pod") return "/spec";
  if (kind == "CronJob") return "/spec/jobTemplate/spec/template/spec";
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
      kind == "ReplicaSet" || kind == "ReplicationController" || kind == "Job") {
    return "/spec/template/spec";
  }
  return {};
}

}  // namespace

bool has_digest(const std::string& image) {
  return image.find('@') != std::string::npos;
}

std::vector<ImageUse> find_images(const std::vector<CompiledResource>& resources) {
  std::vector<ImageUse> out;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Json& m = resources[i].manifest;
    const std::string kind = m.value("kind", "");
    const std::string spec = pod_spec_pointer(kind);
    if (!spec.empty()) {
      const Json::json_pointer at(spec);
      if (!m.contains(at) || !m.at(at).is_object()) continue;
      const Json& pod = m.at(at);
      for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
        auto containers = pod.find(list);
        if (containers == pod.end() || !containers->is_array()) continue;
        for (size_t k = 0; k < containers->size(); ++k) {
          const Json& c = (*containers)[k];
          if (!c.is_object() || !c.contains("image") || !c["image"].is_string()) continue;
          out.push_back({i, spec + "/" + list + "/" + std::to_string(k) + "/image",
                         c["image"].get<std::string>()});
        }
      }
      continue;
    }
    if (kind == "Cluster" && m.value("apiVersion", "").rfind("postgresql.cnpg.io/", 0) == 0 &&
        m.contains("spec") && m["spec"].is_object() && m["spec"].contains("imageName") &&
        m["spec"]["imageName"].is_string()) {
      out.push_back({i, "/spec/imageName", m["spec"]["imageName"].get<std::string>()});
    }
  }
  return out;
}

}  // namespace kix::compiler
