#include "manifest/references.h"

#include "manifest/pod_template.h"
#include "manifest/secret_sources.h"

#include <map>
#include <unordered_map>

namespace kix {

namespace {

const Json* child(const Json& v, const char* key) {
  return json_child(v, key);
}

const Json* path(const Json& v, std::initializer_list<const char*> keys) {
  return json_at(v, keys);
}

std::string str(const Json* v) {
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

const Json* pod_spec(const Manifest& m, std::string* prefix) {
  return kix::pod_spec(m.value, prefix);
}

const Json* pod_labels(const Manifest& m) {
  return kix::pod_labels(m.value);
}

// A label selector (plain map or matchLabels) matches all of `labels`.
bool selects(const Json& selector, const Json* labels) {
  if (!selector.is_object() || selector.empty() || labels == nullptr || !labels->is_object()) {
    return false;
  }
  for (const auto& [k, v] : selector.items()) {
    auto it = labels->find(k);
    if (it == labels->end() || *it != v) return false;
  }
  return true;
}

class Inference {
 public:
  explicit Inference(const std::vector<Manifest>& ms) : ms_(ms), out_(ms.size()) {
    for (size_t i = 0; i < ms.size(); ++i) {
      // Two resources can share kind, namespace and name across API groups;
      // the one with the smallest identity wins, so that the choice (and so
      // every hash) never depends on input order.
      keep_smallest(by_name_, index_key(ms[i].id.kind, ms[i].id.ns, ms[i].id.name), i);
      // A RequiredSecret or GeneratedSecret is what a reference to its
      // Secret reaches (manifest/secret_sources.h).
      if (is_secret_source(ms[i].id)) {
        keep_smallest(by_name_, index_key("Secret", ms[i].id.ns, ms[i].id.name), i);
      }
      // So is an External Secrets Operator ExternalSecret, for the Secret
      // it writes (spec.target.name, by default its own name).
      if (ms[i].id.kind == "ExternalSecret" && ms[i].id.group() == "external-secrets.io") {
        std::string target = str(path(ms[i].value, {"spec", "target", "name"}));
        keep_smallest(by_name_,
                      index_key("Secret", ms[i].id.ns, target.empty() ? ms[i].id.name : target), i);
      }
      if (ms[i].id.kind == "CustomResourceDefinition") {
        std::string group = str(path(ms[i].value, {"spec", "group"}));
        std::string kind = str(path(ms[i].value, {"spec", "names", "kind"}));
        if (!group.empty() && !kind.empty()) keep_smallest(crds_, group + "/" + kind, i);
      }
      std::string prefix;
      if (pod_spec(ms[i], &prefix) != nullptr) workloads_[ms[i].id.ns].push_back(i);
    }
  }

  std::vector<std::vector<InferredRef>> run() {
    for (size_t i = 0; i < ms_.size(); ++i) infer(i);
    return std::move(out_);
  }

 private:
  template <typename Map>
  void keep_smallest(Map& map, const std::string& key, size_t i) {
    auto [it, inserted] = map.emplace(key, i);
    if (!inserted && ms_[i].id.key() < ms_[it->second].id.key()) it->second = i;
  }

  static std::string index_key(const std::string& kind, const std::string& ns,
                               const std::string& name) {
    return kind + '\0' + ns + '\0' + name;
  }

  void add(size_t from, const std::string& kind, const std::string& ns, const std::string& name,
           std::string reason) {
    if (name.empty()) return;
    auto it = by_name_.find(index_key(kind, ns, name));
    if (it == by_name_.end()) return;
    add_index(from, it->second, std::move(reason));
  }
  void add_index(size_t from, size_t to, std::string reason) {
    if (from == to) return;
    for (const auto& r : out_[from]) {
      if (r.to == to) return;
    }
    out_[from].push_back({to, std::move(reason)});
  }

  void infer(size_t i) {
    const Manifest& m = ms_[i];
    const std::string& ns = m.id.ns;
    const std::string& kind = m.id.kind;
    std::string prefix;
    if (const Json* spec = pod_spec(m, &prefix)) infer_pod_spec(i, *spec, prefix);
    if (kind == "StatefulSet") {
      if (const Json* vcts = path(m.value, {"spec", "volumeClaimTemplates"});
          vcts && vcts->is_array()) {
        for (size_t k = 0; k < vcts->size(); ++k) {
          add(i, "StorageClass", "", str(path((*vcts)[k], {"spec", "storageClassName"})),
              "spec.volumeClaimTemplates[" + std::to_string(k) + "].spec.storageClassName");
        }
      }
    }
    if (kind == "Service") {
      if (const Json* sel = path(m.value, {"spec", "selector"}))
        select_workloads(i, *sel, "spec.selector");
    } else if (kind == "PodDisruptionBudget") {
      if (const Json* sel = path(m.value, {"spec", "selector", "matchLabels"})) {
        select_workloads(i, *sel, "spec.selector.matchLabels");
      }
    } else if (kind == "PersistentVolumeClaim") {
      add(i, "StorageClass", "", str(path(m.value, {"spec", "storageClassName"})),
          "spec.storageClassName");
      add(i, "PersistentVolume", "", str(path(m.value, {"spec", "volumeName"})), "spec.volumeName");
    } else if (kind == "PersistentVolume") {
      // claimRef is left out on purpose: the PVC already points here and a
      // Merkle DAG cannot hold the cycle.
      add(i, "StorageClass", "", str(path(m.value, {"spec", "storageClassName"})),
          "spec.storageClassName");
    } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      infer_binding(i);
    } else if (kind == "Ingress") {
      infer_ingress(i);
    } else if (kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration") {
      // A webhook whose Service is not up yet rejects every request it
      // intercepts: configure it after the Service (and so its workload).
      if (const Json* hooks = child(m.value, "webhooks"); hooks && hooks->is_array()) {
        for (size_t k = 0; k < hooks->size(); ++k) {
          const Json* svc = path((*hooks)[k], {"clientConfig", "service"});
          if (svc == nullptr) continue;
          add(i, "Service", str(child(*svc, "namespace")), str(child(*svc, "name")),
              "webhooks[" + std::to_string(k) + "].clientConfig.service");
        }
      }
    } else if (kind == "APIService") {
      add(i, "Service", str(path(m.value, {"spec", "service", "namespace"})),
          str(path(m.value, {"spec", "service", "name"})), "spec.service");
    } else if (kind == "HorizontalPodAutoscaler") {
      add(i, str(path(m.value, {"spec", "scaleTargetRef", "kind"})), ns,
          str(path(m.value, {"spec", "scaleTargetRef", "name"})), "spec.scaleTargetRef");
    }
    // Custom resources depend on their CRD.
    if (auto it = crds_.find(m.id.group() + "/" + kind); it != crds_.end()) {
      add_index(i, it->second, "CustomResourceDefinition of " + kind);
    }
  }

  void select_workloads(size_t i, const Json& selector, const std::string& reason) {
    auto it = workloads_.find(ms_[i].id.ns);
    if (it == workloads_.end()) return;
    for (size_t w : it->second) {
      if (selects(selector, pod_labels(ms_[w]))) add_index(i, w, reason);
    }
  }

  void infer_pod_spec(size_t i, const Json& spec, const std::string& prefix) {
    const std::string& ns = ms_[i].id.ns;
    std::string sa = str(child(spec, "serviceAccountName"));
    if (sa.empty()) sa = str(child(spec, "serviceAccount"));
    add(i, "ServiceAccount", ns, sa, prefix + ".serviceAccountName");
    add(i, "PriorityClass", "", str(child(spec, "priorityClassName")),
        prefix + ".priorityClassName");
    add(i, "RuntimeClass", "", str(child(spec, "runtimeClassName")), prefix + ".runtimeClassName");
    if (const Json* ips = child(spec, "imagePullSecrets"); ips && ips->is_array()) {
      for (size_t k = 0; k < ips->size(); ++k) {
        add(i, "Secret", ns, str(child((*ips)[k], "name")),
            prefix + ".imagePullSecrets[" + std::to_string(k) + "]");
      }
    }
    if (const Json* vols = child(spec, "volumes"); vols && vols->is_array()) {
      for (size_t k = 0; k < vols->size(); ++k) {
        const Json& v = (*vols)[k];
        std::string at = prefix + ".volumes[" + std::to_string(k) + "]";
        add(i, "PersistentVolumeClaim", ns, str(path(v, {"persistentVolumeClaim", "claimName"})),
            at + ".persistentVolumeClaim.claimName");
        add(i, "ConfigMap", ns, str(path(v, {"configMap", "name"})), at + ".configMap.name");
        add(i, "Secret", ns, str(path(v, {"secret", "secretName"})), at + ".secret.secretName");
        if (const Json* srcs = path(v, {"projected", "sources"}); srcs && srcs->is_array()) {
          for (size_t s = 0; s < srcs->size(); ++s) {
            std::string sat = at + ".projected.sources[" + std::to_string(s) + "]";
            add(i, "ConfigMap", ns, str(path((*srcs)[s], {"configMap", "name"})),
                sat + ".configMap.name");
            add(i, "Secret", ns, str(path((*srcs)[s], {"secret", "name"})), sat + ".secret.name");
          }
        }
      }
    }
    for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
      const Json* cs = child(spec, list);
      if (cs == nullptr || !cs->is_array()) continue;
      for (size_t c = 0; c < cs->size(); ++c) {
        infer_container(i, (*cs)[c], prefix + "." + list + "[" + std::to_string(c) + "]");
      }
    }
  }

  void infer_container(size_t i, const Json& c, const std::string& at) {
    const std::string& ns = ms_[i].id.ns;
    if (const Json* ef = child(c, "envFrom"); ef && ef->is_array()) {
      for (size_t k = 0; k < ef->size(); ++k) {
        std::string eat = at + ".envFrom[" + std::to_string(k) + "]";
        add(i, "ConfigMap", ns, str(path((*ef)[k], {"configMapRef", "name"})),
            eat + ".configMapRef");
        add(i, "Secret", ns, str(path((*ef)[k], {"secretRef", "name"})), eat + ".secretRef");
      }
    }
    if (const Json* env = child(c, "env"); env && env->is_array()) {
      for (size_t k = 0; k < env->size(); ++k) {
        std::string eat = at + ".env[" + std::to_string(k) + "].valueFrom";
        const Json* vf = child((*env)[k], "valueFrom");
        if (vf == nullptr) continue;
        add(i, "ConfigMap", ns, str(path(*vf, {"configMapKeyRef", "name"})),
            eat + ".configMapKeyRef");
        add(i, "Secret", ns, str(path(*vf, {"secretKeyRef", "name"})), eat + ".secretKeyRef");
      }
    }
  }

  void infer_binding(size_t i) {
    const Manifest& m = ms_[i];
    std::string role_kind = str(path(m.value, {"roleRef", "kind"}));
    std::string role_name = str(path(m.value, {"roleRef", "name"}));
    add(i, role_kind, role_kind == "ClusterRole" ? "" : m.id.ns, role_name, "roleRef");
    if (const Json* subjects = child(m.value, "subjects"); subjects && subjects->is_array()) {
      for (size_t k = 0; k < subjects->size(); ++k) {
        const Json& s = (*subjects)[k];
        if (str(child(s, "kind")) != "ServiceAccount") continue;
        std::string sns = str(child(s, "namespace"));
        add(i, "ServiceAccount", sns.empty() ? m.id.ns : sns, str(child(s, "name")),
            "subjects[" + std::to_string(k) + "]");
      }
    }
  }

  void infer_ingress(size_t i) {
    const Manifest& m = ms_[i];
    const std::string& ns = m.id.ns;
    add(i, "IngressClass", "", str(path(m.value, {"spec", "ingressClassName"})),
        "spec.ingressClassName");
    add(i, "Service", ns, str(path(m.value, {"spec", "defaultBackend", "service", "name"})),
        "spec.defaultBackend.service.name");
    if (const Json* tls = path(m.value, {"spec", "tls"}); tls && tls->is_array()) {
      for (size_t k = 0; k < tls->size(); ++k) {
        add(i, "Secret", ns, str(child((*tls)[k], "secretName")),
            "spec.tls[" + std::to_string(k) + "].secretName");
      }
    }
    const Json* rules = path(m.value, {"spec", "rules"});
    if (rules == nullptr || !rules->is_array()) return;
    for (size_t r = 0; r < rules->size(); ++r) {
      const Json* paths = path((*rules)[r], {"http", "paths"});
      if (paths == nullptr || !paths->is_array()) continue;
      for (size_t p = 0; p < paths->size(); ++p) {
        add(i, "Service", ns, str(path((*paths)[p], {"backend", "service", "name"})),
            "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) +
                "].backend.service.name");
      }
    }
  }

  const std::vector<Manifest>& ms_;
  std::vector<std::vector<InferredRef>> out_;
  std::unordered_map<std::string, size_t> by_name_;
  std::map<std::string, size_t> crds_;
  std::unordered_map<std::string, std::vector<size_t>> workloads_;  // by namespace
};

}  // namespace

std::vector<std::vector<InferredRef>> infer_references(const std::vector<Manifest>& manifests) {
  return Inference(manifests).run();
}

}  // namespace kix
