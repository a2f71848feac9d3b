#include "manifest/reference_facts.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "manifest/pod_template.h"
#include "manifest/references.h"
#include "manifest/secret_sources.h"
#include "util/byte_arena.h"

namespace kix {

namespace {

std::string str(const Json* v) {
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// nlohmann's object iteration is in key order, so the pairs are too.
LabelPairs label_pairs(const Json* map) {
  LabelPairs out;
  if (map == nullptr || !map->is_object()) return out;
  for (const auto& [k, v] : map->items()) out.emplace_back(k, canonical_json(v));
  return out;
}

// Walks one manifest in the order the inference has always weighed its
// references (the first reason for an edge wins, so the order is part of
// every stored reason).
class Extraction {
 public:
  explicit Extraction(const Manifest& m) : m_(m) {}

  ReferenceFacts run() {
    const ResourceId& id = m_.id;
    if (is_secret_source(id)) out_.aliases.push_back({"Secret", id.ns, id.name});
    if (id.kind == "ExternalSecret" && id.group() == "external-secrets.io") {
      std::string target = str(json_at(m_.value, {"spec", "target", "name"}));
      out_.aliases.push_back({"Secret", id.ns, target.empty() ? id.name : target});
    }
    if (id.kind == "CustomResourceDefinition") {
      std::string group = str(json_at(m_.value, {"spec", "group"}));
      std::string kind = str(json_at(m_.value, {"spec", "names", "kind"}));
      if (!group.empty() && !kind.empty()) out_.crd = group + "/" + kind;
    }
    std::string prefix;
    if (const Json* spec = pod_spec(m_.value, &prefix)) {
      out_.workload = true;
      out_.pod_labels = label_pairs(pod_labels(m_.value));
      pod_spec_refs(*spec, prefix);
    }
    kind_refs();
    return std::move(out_);
  }

 private:
  void add(const std::string& kind, const std::string& ns, const std::string& name,
           std::string reason) {
    if (name.empty()) return;
    ReferenceFacts::Candidate c;
    c.kind = kind;
    c.ns = ns;
    c.name = name;
    c.reason = std::move(reason);
    out_.candidates.push_back(std::move(c));
  }

  void select(const Json* selector, std::string reason) {
    if (selector == nullptr || !selector->is_object() || selector->empty()) return;
    ReferenceFacts::Candidate c;
    c.selector = true;
    c.labels = label_pairs(selector);
    c.reason = std::move(reason);
    out_.candidates.push_back(std::move(c));
  }

  void kind_refs() {
    const Json& v = m_.value;
    const std::string& ns = m_.id.ns;
    const std::string& kind = m_.id.kind;
    if (kind == "StatefulSet") {
      if (const Json* vcts = json_at(v, {"spec", "volumeClaimTemplates"});
          vcts && vcts->is_array()) {
        for (size_t k = 0; k < vcts->size(); ++k) {
          add("StorageClass", "", str(json_at((*vcts)[k], {"spec", "storageClassName"})),
              "spec.volumeClaimTemplates[" + std::to_string(k) + "].spec.storageClassName");
        }
      }
    }
    if (kind == "Service") {
      select(json_at(v, {"spec", "selector"}), "spec.selector");
    } else if (kind == "PodDisruptionBudget") {
      select(json_at(v, {"spec", "selector", "matchLabels"}), "spec.selector.matchLabels");
    } else if (kind == "PersistentVolumeClaim") {
      add("StorageClass", "", str(json_at(v, {"spec", "storageClassName"})),
          "spec.storageClassName");
      add("PersistentVolume", "", str(json_at(v, {"spec", "volumeName"})), "spec.volumeName");
    } else if (kind == "PersistentVolume") {
      // claimRef is left out on purpose: the PVC already points here and a
      // Merkle DAG cannot hold the cycle.
      add("StorageClass", "", str(json_at(v, {"spec", "storageClassName"})),
          "spec.storageClassName");
    } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      binding_refs();
    } else if (kind == "Ingress") {
      ingress_refs();
    } else if (kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration") {
      // A webhook whose Service is not up yet rejects every request it
      // intercepts: configure it after the Service (and so its workload).
      if (const Json* hooks = json_child(v, "webhooks"); hooks && hooks->is_array()) {
        for (size_t k = 0; k < hooks->size(); ++k) {
          const Json* svc = json_at((*hooks)[k], {"clientConfig", "service"});
          if (svc == nullptr) continue;
          add("Service", str(json_child(*svc, "namespace")), str(json_child(*svc, "name")),
              "webhooks[" + std::to_string(k) + "].clientConfig.service");
        }
      }
    } else if (kind == "APIService") {
      add("Service", str(json_at(v, {"spec", "service", "namespace"})),
          str(json_at(v, {"spec", "service", "name"})), "spec.service");
    } else if (kind == "HorizontalPodAutoscaler") {
      add(str(json_at(v, {"spec", "scaleTargetRef", "kind"})), ns,
          str(json_at(v, {"spec", "scaleTargetRef", "name"})), "spec.scaleTargetRef");
    }
  }

  void pod_spec_refs(const Json& spec, const std::string& prefix) {
    const std::string& ns = m_.id.ns;
    std::string sa = str(json_child(spec, "serviceAccountName"));
    if (sa.empty()) sa = str(json_child(spec, "serviceAccount"));
    add("ServiceAccount", ns, sa, prefix + ".serviceAccountName");
    add("PriorityClass", "", str(json_child(spec, "priorityClassName")),
        prefix + ".priorityClassName");
    add("RuntimeClass", "", str(json_child(spec, "runtimeClassName")),
        prefix + ".runtimeClassName");
    if (const Json* ips = json_child(spec, "imagePullSecrets"); ips && ips->is_array()) {
      for (size_t k = 0; k < ips->size(); ++k) {
        add("Secret", ns, str(json_child((*ips)[k], "name")),
            prefix + ".imagePullSecrets[" + std::to_string(k) + "]");
      }
    }
    if (const Json* vols = json_child(spec, "volumes"); vols && vols->is_array()) {
      for (size_t k = 0; k < vols->size(); ++k) {
        const Json& v = (*vols)[k];
        std::string at = prefix + ".volumes[" + std::to_string(k) + "]";
        add("PersistentVolumeClaim", ns, str(json_at(v, {"persistentVolumeClaim", "claimName"})),
            at + ".persistentVolumeClaim.claimName");
        add("ConfigMap", ns, str(json_at(v, {"configMap", "name"})), at + ".configMap.name");
        add("Secret", ns, str(json_at(v, {"secret", "secretName"})), at + ".secret.secretName");
        if (const Json* srcs = json_at(v, {"projected", "sources"}); srcs && srcs->is_array()) {
          for (size_t s = 0; s < srcs->size(); ++s) {
            std::string sat = at + ".projected.sources[" + std::to_string(s) + "]";
            add("ConfigMap", ns, str(json_at((*srcs)[s], {"configMap", "name"})),
                sat + ".configMap.name");
            add("Secret", ns, str(json_at((*srcs)[s], {"secret", "name"})), sat + ".secret.name");
          }
        }
      }
    }
    for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
      const Json* cs = json_child(spec, list);
      if (cs == nullptr || !cs->is_array()) continue;
      for (size_t c = 0; c < cs->size(); ++c) {
        container_refs((*cs)[c], prefix + "." + list + "[" + std::to_string(c) + "]");
      }
    }
  }

  void container_refs(const Json& c, const std::string& at) {
    const std::string& ns = m_.id.ns;
    if (const Json* ef = json_child(c, "envFrom"); ef && ef->is_array()) {
      for (size_t k = 0; k < ef->size(); ++k) {
        std::string eat = at + ".envFrom[" + std::to_string(k) + "]";
        add("ConfigMap", ns, str(json_at((*ef)[k], {"configMapRef", "name"})),
            eat + ".configMapRef");
        add("Secret", ns, str(json_at((*ef)[k], {"secretRef", "name"})), eat + ".secretRef");
      }
    }
    if (const Json* env = json_child(c, "env"); env && env->is_array()) {
      for (size_t k = 0; k < env->size(); ++k) {
        std::string eat = at + ".env[" + std::to_string(k) + "].valueFrom";
        const Json* vf = json_child((*env)[k], "valueFrom");
        if (vf == nullptr) continue;
        add("ConfigMap", ns, str(json_at(*vf, {"configMapKeyRef", "name"})),
            eat + ".configMapKeyRef");
        add("Secret", ns, str(json_at(*vf, {"secretKeyRef", "name"})), eat + ".secretKeyRef");
      }
    }
  }

  void binding_refs() {
    const Json& v = m_.value;
    std::string role_kind = str(json_at(v, {"roleRef", "kind"}));
    std::string role_name = str(json_at(v, {"roleRef", "name"}));
    add(role_kind, role_kind == "ClusterRole" ? "" : m_.id.ns, role_name, "roleRef");
    if (const Json* subjects = json_child(v, "subjects"); subjects && subjects->is_array()) {
      for (size_t k = 0; k < subjects->size(); ++k) {
        const Json& s = (*subjects)[k];
        if (str(json_child(s, "kind")) != "ServiceAccount") continue;
        std::string sns = str(json_child(s, "namespace"));
        add("ServiceAccount", sns.empty() ? m_.id.ns : sns, str(json_child(s, "name")),
            "subjects[" + std::to_string(k) + "]");
      }
    }
  }

  void ingress_refs() {
    const Json& v = m_.value;
    const std::string& ns = m_.id.ns;
    add("IngressClass", "", str(json_at(v, {"spec", "ingressClassName"})), "spec.ingressClassName");
    add("Service", ns, str(json_at(v, {"spec", "defaultBackend", "service", "name"})),
        "spec.defaultBackend.service.name");
    if (const Json* tls = json_at(v, {"spec", "tls"}); tls && tls->is_array()) {
      for (size_t k = 0; k < tls->size(); ++k) {
        add("Secret", ns, str(json_child((*tls)[k], "secretName")),
            "spec.tls[" + std::to_string(k) + "].secretName");
      }
    }
    const Json* rules = json_at(v, {"spec", "rules"});
    if (rules == nullptr || !rules->is_array()) return;
    for (size_t r = 0; r < rules->size(); ++r) {
      const Json* paths = json_at((*rules)[r], {"http", "paths"});
      if (paths == nullptr || !paths->is_array()) continue;
      for (size_t p = 0; p < paths->size(); ++p) {
        add("Service", ns, str(json_at((*paths)[p], {"backend", "service", "name"})),
            "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) +
                "].backend.service.name");
      }
    }
  }

  const Manifest& m_;
  ReferenceFacts out_;
};

void encode_pairs(const LabelPairs& pairs, ByteWriter& out) {
  out.varint(pairs.size());
  for (const auto& [k, v] : pairs) {
    out.bytes(k);
    out.bytes(v);
  }
}

bool decode_pairs(ByteReader& in, LabelPairs& pairs) {
  uint64_t n = 0;
  // Every pair takes at least two bytes: a count beyond that is damage.
  if (!in.varint(n) || n > in.remaining() / 2) return false;
  pairs.resize(n);
  for (auto& [k, v] : pairs) {
    if (!in.bytes(k) || !in.bytes(v)) return false;
  }
  return true;
}

// A workload's pod labels (sorted by key, in encode_pairs form) hold every
// pair of a (non-empty) selector. Labels that do not decode select nothing.
bool selects(const LabelPairs& selector, std::string_view encoded_labels) {
  if (selector.empty()) return false;
  ByteReader in(encoded_labels);
  uint64_t left = 0;
  if (!in.varint(left)) return false;
  std::string_view k, v;
  auto next = [&] {
    if (left == 0) return false;
    --left;
    return in.view(k) && in.view(v);
  };
  bool have = next();
  for (const auto& [sk, sv] : selector) {
    while (have && k < sk) have = next();
    if (!have || k != sk || v != sv) return false;
  }
  return true;
}

// Joins the facts of a whole input. `Ids` gives manifest i's identity as a
// ResourceIdView; `Facts` gives its facts by reference, valid until it is
// asked for another: each is looked at once to build the indexes and once
// for its candidates.
template <typename Ids, typename Facts>
class Resolution {
 public:
  // The indexes live in `memory` when given (util/spill_heap.h), which is
  // told of each lookup; else on the default heap.
  Resolution(size_t count, Ids ids, Facts facts, SpillHeap* memory = nullptr)
      : count_(count),
        ids_(std::move(ids)),
        facts_(std::move(facts)),
        memory_(memory),
        resource_(memory != nullptr ? static_cast<std::pmr::memory_resource*>(memory)
                                    : std::pmr::get_default_resource()),
        by_name_(resource_),
        labels_(resource_) {
    by_name_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const ResourceIdView id = ids_(i);
      const ReferenceFacts& f = facts_(i);
      // Two resources can share kind, namespace and name across API groups;
      // the one with the smallest identity wins, so that the choice (and so
      // every hash) never depends on input order.
      by_name_.push_back(NameEntry{name_hash(id.kind, id.ns, id.name), i});
      for (const auto& alias : f.aliases) {
        if (alias.size() == 3) {
          keep_smallest(alias_by_name_, index_key(alias[0], alias[1], alias[2]), i);
        }
      }
      if (!f.crd.empty()) keep_smallest(crds_, f.crd, i);
      if (f.workload) {
        std::string encoded;
        ByteWriter w(encoded);
        encode_pairs(f.pod_labels, w);
        workloads_.try_emplace(std::string(id.ns), resource_)
            .first->second.push_back(Workload{i, labels_.copy(encoded)});
      }
    }
    std::sort(by_name_.begin(), by_name_.end());
  }

  // Hands every edge to `edge(from, to, reason)`, by `from` in increasing
  // order, each (from, to) once with its first reason.
  template <typename Edge>
  void run(const Edge& edge) {
    std::vector<size_t> row;  // the targets of `from` so far
    for (size_t i = 0; i < count_; ++i) {
      if (memory_ != nullptr) memory_->touch(2);
      row.clear();
      auto add = [&](size_t to, const std::string& reason) {
        if (to == i || std::find(row.begin(), row.end(), to) != row.end()) return;
        row.push_back(to);
        edge(i, to, reason);
      };
      for (const auto& c : facts_(i).candidates) {
        if (c.selector) {
          auto it = workloads_.find(ids_(i).ns);
          if (it == workloads_.end()) continue;
          for (const Workload& w : it->second) {
            if (selects(c.labels, w.labels)) add(w.index, c.reason);
          }
        } else if (auto to = find_by_name(c.kind, c.ns, c.name)) {
          add(*to, c.reason);
        }
      }
      // Custom resources depend on their CRD.
      const ResourceIdView id = ids_(i);
      std::string crd = std::string(id.group()) + "/" + std::string(id.kind);
      if (auto it = crds_.find(crd); it != crds_.end()) {
        add(it->second, "CustomResourceDefinition of " + std::string(id.kind));
      }
    }
  }

  std::vector<std::vector<InferredRef>> run() {
    std::vector<std::vector<InferredRef>> out(count_);
    run([&](size_t from, size_t to, const std::string& reason) {
      out[from].push_back({to, reason});
    });
    return out;
  }

 private:
  struct Workload {
    size_t index;
    std::string_view labels;  // encode_pairs form, in labels_
  };

  template <typename Map>
  void keep_smallest(Map& map, const std::string& key, size_t i) {
    auto [it, inserted] = map.emplace(key, i);
    if (!inserted && ids_(i).key() < ids_(it->second).key()) it->second = i;
  }

  static std::string index_key(const std::string& kind, const std::string& ns,
                               const std::string& name) {
    return kind + '\0' + ns + '\0' + name;
  }

  static uint64_t name_hash(std::string_view kind, std::string_view ns, std::string_view name) {
    std::hash<std::string_view> h;
    uint64_t out = h(kind);
    for (std::string_view part : {ns, name}) {
      out ^= h(part) + 0x9e3779b97f4a7c15ULL + (out << 6) + (out >> 2);
    }
    return out;
  }

  // The resource a reference by kind, namespace and name means: among the
  // resources with that identity and those claiming it as an alias, the
  // smallest identity (ties: the first in input order), so the choice never
  // depends on input order.
  std::optional<size_t> find_by_name(const std::string& kind, const std::string& ns,
                                     const std::string& name) const {
    std::optional<size_t> best;
    auto consider = [&](size_t i) {
      if (!best) {
        best = i;
        return;
      }
      std::string key = ids_(i).key(), best_key = ids_(*best).key();
      if (key < best_key || (key == best_key && i < *best)) best = i;
    };
    // Equal hashes are checked against the identity: a collision costs a
    // comparison, never a wrong edge.
    NameEntry probe{name_hash(kind, ns, name), 0};
    if (memory_ != nullptr) memory_->touch(4);  // a binary search's pages
    for (auto it = std::lower_bound(by_name_.begin(), by_name_.end(), probe);
         it != by_name_.end() && it->key_hash == probe.key_hash; ++it) {
      const ResourceIdView id = ids_(it->index);
      if (id.kind == kind && id.ns == ns && id.name == name) consider(it->index);
    }
    if (!alias_by_name_.empty()) {
      if (auto it = alias_by_name_.find(index_key(kind, ns, name)); it != alias_by_name_.end()) {
        consider(it->second);
      }
    }
    return best;
  }

  size_t count_;
  Ids ids_;
  Facts facts_;
  SpillHeap* memory_;
  std::pmr::memory_resource* resource_;
  // Every resource by the hash of its kind, namespace and name, sorted:
  // 16 bytes each, where a map of joined key strings took about 90.
  struct NameEntry {
    uint64_t key_hash;
    size_t index;
    auto operator<=>(const NameEntry&) const = default;
  };
  std::pmr::vector<NameEntry> by_name_;
  // Identities resources claim besides their own (few): joined key strings.
  std::unordered_map<std::string, size_t> alias_by_name_;
  std::map<std::string, size_t> crds_;
  // Pod labels of every workload, encoded in one arena: a few bytes per
  // label instead of two strings and a vector each.
  ByteArena labels_;
  // Looked up by a view: a resource's namespace is one, in a compact graph.
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::pmr::vector<Workload>, ViewHash, std::equal_to<>>
      workloads_;  // by namespace
};

}  // namespace

ReferenceFacts extract_reference_facts(const Manifest& m) {
  return Extraction(m).run();
}

namespace {

auto by_pointer(const std::vector<const ResourceId*>& ids) {
  return [&ids](size_t i) { return ids[i]->view(); };
}

// Decodes into one scratch object, whose strings keep their capacity.
class DecodedFacts {
 public:
  explicit DecodedFacts(const std::function<std::string_view(size_t)>& encoded)
      : encoded_(encoded), scratch_(std::make_shared<ReferenceFacts>()) {}
  const ReferenceFacts& operator()(size_t i) const {
    ByteReader r(encoded_(i));
    if (!decode_reference_facts(r, *scratch_) || !r.at_end()) {
      throw Error(ErrorKind::kInternal, "reference facts do not decode");
    }
    return *scratch_;
  }

 private:
  const std::function<std::string_view(size_t)>& encoded_;
  std::shared_ptr<ReferenceFacts> scratch_;
};

}  // namespace

std::vector<std::vector<InferredRef>> resolve_references(
    const std::vector<const ResourceId*>& ids, const std::vector<const ReferenceFacts*>& facts) {
  if (ids.size() != facts.size()) {
    throw Error(ErrorKind::kInternal, "resolve_references: ids and facts differ in length");
  }
  auto at = [&facts](size_t i) -> const ReferenceFacts& { return *facts[i]; };
  return Resolution(ids.size(), by_pointer(ids), at).run();
}

std::vector<std::vector<InferredRef>> resolve_encoded_references(
    const std::vector<const ResourceId*>& ids, const std::vector<std::string_view>& encoded) {
  if (ids.size() != encoded.size()) {
    throw Error(ErrorKind::kInternal, "resolve_references: ids and facts differ in length");
  }
  return resolve_encoded_references(ids, [&encoded](size_t i) { return encoded[i]; });
}

std::vector<std::vector<InferredRef>> resolve_encoded_references(
    const std::vector<const ResourceId*>& ids,
    const std::function<std::string_view(size_t)>& encoded) {
  return Resolution(ids.size(), by_pointer(ids), DecodedFacts(encoded)).run();
}

void resolve_encoded_references(
    size_t count, const std::function<ResourceIdView(size_t)>& id,
    const std::function<std::string_view(size_t)>& encoded,
    const std::function<void(size_t from, size_t to, const std::string& reason)>& edge,
    SpillHeap* memory) {
  Resolution(count, std::cref(id), DecodedFacts(encoded), memory).run(edge);
}

void encode_reference_facts(const ReferenceFacts& facts, ByteWriter& out) {
  out.varint(facts.aliases.size());
  for (const auto& alias : facts.aliases) {
    out.varint(alias.size());
    for (const auto& part : alias) out.bytes(part);
  }
  out.bytes(facts.crd);
  out.varint(facts.workload ? 1 : 0);
  encode_pairs(facts.pod_labels, out);
  out.varint(facts.candidates.size());
  for (const auto& c : facts.candidates) {
    out.varint(c.selector ? 1 : 0);
    if (c.selector) {
      encode_pairs(c.labels, out);
    } else {
      out.bytes(c.kind);
      out.bytes(c.ns);
      out.bytes(c.name);
    }
    out.bytes(c.reason);
  }
}

bool decode_reference_facts(ByteReader& in, ReferenceFacts& facts) {
  // Every field is overwritten in place, so that a reused object keeps its
  // strings' capacity.
  uint64_t n = 0;
  if (!in.varint(n) || n > in.remaining()) return false;
  facts.aliases.resize(n);
  for (auto& alias : facts.aliases) {
    uint64_t parts = 0;
    if (!in.varint(parts) || parts > 3) return false;
    alias.resize(parts);
    for (auto& part : alias) {
      if (!in.bytes(part)) return false;
    }
  }
  uint64_t workload = 0;
  if (!in.bytes(facts.crd) || !in.varint(workload) || workload > 1) return false;
  facts.workload = workload == 1;
  if (!decode_pairs(in, facts.pod_labels)) return false;
  if (!in.varint(n) || n > in.remaining()) return false;
  facts.candidates.resize(n);
  for (auto& c : facts.candidates) {
    uint64_t selector = 0;
    if (!in.varint(selector) || selector > 1) return false;
    c.selector = selector == 1;
    if (c.selector) {
      c.kind.clear();
      c.ns.clear();
      c.name.clear();
      if (!decode_pairs(in, c.labels)) return false;
    } else {
      c.labels.clear();
      if (!in.bytes(c.kind) || !in.bytes(c.ns) || !in.bytes(c.name)) return false;
    }
    if (!in.bytes(c.reason)) return false;
  }
  return in.ok();
}

}  // namespace kix
