#include "manifest/waves.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace kix {
namespace {

// Helm's InstallOrder (pkg/release/util/kind_sorter.go).
constexpr std::string_view kInstallOrder[] = {
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "RequiredSecret",   // kix.dev: checked like the Secret it stands for
    "GeneratedSecret",  // kix.dev: created like the Secret it stands for
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
};

bool is_foundation(const Manifest& m) {
  return (m.id.kind == "Namespace" && m.id.group().empty()) ||
         (m.id.kind == "CustomResourceDefinition" && m.id.group() == "apiextensions.k8s.io");
}

// "group/Kind" a CRD defines, from spec.group and spec.names.kind.
std::string crd_defines(const Manifest& crd) {
  const Json& spec = crd.value.value("spec", Json::object());
  if (!spec.is_object()) return {};
  std::string group = spec.value("group", "");
  const Json& names = spec.value("names", Json::object());
  std::string kind = names.is_object() ? names.value("kind", "") : "";
  return kind.empty() ? std::string() : group + "/" + kind;
}

// Every "must come after" edge: references, Namespace and CRD ordering.
std::vector<std::vector<size_t>> ordering_edges(const Graph& graph) {
  const auto& manifests = graph.manifests;
  std::vector<std::vector<size_t>> after(manifests.size());
  std::map<std::string, size_t> namespaces;
  std::map<std::string, size_t> crds;
  for (size_t i = 0; i < manifests.size(); ++i) {
    const Manifest& m = manifests[i];
    if (m.id.kind == "Namespace" && m.id.group().empty()) namespaces[m.id.name] = i;
    if (m.id.kind == "CustomResourceDefinition") {
      std::string defined = crd_defines(m);
      if (!defined.empty()) crds[defined] = i;
    }
  }
  for (size_t i = 0; i < manifests.size(); ++i) {
    const Manifest& m = manifests[i];
    if (i < graph.refs.size()) after[i] = graph.refs[i];
    if (!m.id.ns.empty()) {
      if (auto ns = namespaces.find(m.id.ns); ns != namespaces.end())
        after[i].push_back(ns->second);
    }
    if (auto crd = crds.find(m.id.group() + "/" + m.id.kind);
        crd != crds.end() && crd->second != i) {
      after[i].push_back(crd->second);
    }
  }
  return after;
}

// Longest-path layering over the "after" edges. An edge that would close a
// cycle (only possible between the added Namespace/CRD edges and a
// reference, since Graph::refs is acyclic) is ignored.
class Layering {
 public:
  Layering(const std::vector<std::vector<size_t>>& after, size_t base_of_others,
           const std::vector<bool>& foundation)
      : after_(after),
        foundation_(foundation),
        base_(base_of_others),
        wave_(after.size(), -1),
        state_(after.size(), kUnvisited) {}

  int wave(size_t i) {
    if (state_[i] == kDone) return wave_[i];
    state_[i] = kVisiting;
    int w = foundation_[i] ? 0 : static_cast<int>(base_);
    for (size_t dep : after_[i]) {
      if (dep >= after_.size() || state_[dep] == kVisiting) continue;
      w = std::max(w, wave(dep) + 1);
    }
    state_[i] = kDone;
    wave_[i] = w;
    return w;
  }

 private:
  enum State { kUnvisited, kVisiting, kDone };
  const std::vector<std::vector<size_t>>& after_;
  const std::vector<bool>& foundation_;
  size_t base_;
  std::vector<int> wave_;
  std::vector<State> state_;
};

}  // namespace

int install_order(const std::string& kind) {
  for (size_t i = 0; i < std::size(kInstallOrder); ++i) {
    if (kInstallOrder[i] == kind) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kInstallOrder));
}

std::vector<std::vector<size_t>> plan_waves(const Graph& graph) {
  const auto& manifests = graph.manifests;
  auto after = ordering_edges(graph);
  std::vector<bool> foundation(manifests.size());
  bool any_foundation = false;
  for (size_t i = 0; i < manifests.size(); ++i) {
    foundation[i] = is_foundation(manifests[i]);
    any_foundation = any_foundation || foundation[i];
  }
  Layering layering(after, any_foundation ? 1 : 0, foundation);
  std::vector<std::vector<size_t>> waves;
  for (size_t i = 0; i < manifests.size(); ++i) {
    size_t w = static_cast<size_t>(layering.wave(i));
    if (waves.size() <= w) waves.resize(w + 1);
    waves[w].push_back(i);
  }
  // A wave can be empty when a foundation resource had to move later.
  waves.erase(
      std::remove_if(waves.begin(), waves.end(), [](const auto& wave) { return wave.empty(); }),
      waves.end());
  for (auto& wave : waves) {
    std::stable_sort(wave.begin(), wave.end(), [&](size_t a, size_t b) {
      const ResourceId& x = manifests[a].id;
      const ResourceId& y = manifests[b].id;
      int ox = install_order(x.kind), oy = install_order(y.kind);
      if (ox != oy) return ox < oy;
      if (x.kind != y.kind) return x.kind < y.kind;
      if (x.ns != y.ns) return x.ns < y.ns;
      return x.name < y.name;
    });
  }
  return waves;
}

}  // namespace kix
