#include "compiler/preview.h"

#include <algorithm>
#include <set>

#include "compiler/cluster_definition.h"
#include "compiler/decoration.h"
#include "manifest/pod_template.h"

namespace kix::compiler {

std::string preview_history_name(const std::string& cluster, const std::string& name) {
  return cluster + ".preview." + name;
}

const char* preview_role_name(PreviewRole role) {
  switch (role) {
    case PreviewRole::kChanged:
      return "changed";
    case PreviewRole::kDependent:
      return "dependent";
    case PreviewRole::kReused:
      return "reused";
    case PreviewRole::kLeftOut:
      return "left out";
  }
  return "left out";
}

bool PreviewPlan::empty() const {
  return count(PreviewRole::kChanged) == 0 && count(PreviewRole::kDependent) == 0;
}

size_t PreviewPlan::count(PreviewRole role) const {
  return static_cast<size_t>(
      std::count_if(instances.begin(), instances.end(),
                    [&](const PreviewInstance& i) { return i.role == role; }));
}

namespace {

bool emitted(PreviewRole role) {
  return role == PreviewRole::kChanged || role == PreviewRole::kDependent;
}

std::string label(const Json& value, const char* key) {
  const Json* labels = nullptr;
  if (value.contains("metadata") && value["metadata"].is_object() &&
      value["metadata"].contains("labels") && value["metadata"]["labels"].is_object()) {
    labels = &value["metadata"]["labels"];
  }
  if (labels == nullptr) return "";
  auto it = labels->find(key);
  return it != labels->end() && it->is_string() ? it->get<std::string>() : "";
}

// The working instance a base resource belongs to: the one that emits the
// same object, else the one its app.kubernetes.io/instance label names in
// its namespace (what the working tree no longer emits).
std::optional<size_t> owner_in_working(const Compilation& working,
                                       const std::map<std::string, size_t>& working_index,
                                       const Manifest& m) {
  auto it = working_index.find(m.id.key());
  if (it != working_index.end()) {
    size_t instance = working.resources[it->second].instance;
    if (instance == kNoInstance) return std::nullopt;
    return instance;
  }
  const std::string name = label(m.value, "app.kubernetes.io/instance");
  if (name.empty()) return std::nullopt;
  const std::string ns = m.id.ns.empty() ? label(m.value, "app.kubernetes.io/part-of") : m.id.ns;
  for (size_t i = 0; i < working.instances.size(); ++i) {
    const InstanceDecl& d = working.instances[i].decl;
    if (d.name == name && d.ns == ns) return i;
  }
  return std::nullopt;
}

}  // namespace

PreviewPlan plan_preview(const Compilation& working, const Graph& base, const std::string& name) {
  if (!is_dns_label(name)) {
    throw Error(ErrorKind::kInvalidInput, "'" + name + "' is not a valid preview name", {},
                std::string(kDnsLabelHint) + "; it names the preview's namespace");
  }
  PreviewPlan plan;
  plan.name = name;
  plan.instances.resize(working.instances.size());

  std::set<std::string> namespaces;
  for (const CompiledInstance& inst : working.instances) {
    if (!inst.decl.infrastructure) namespaces.insert(inst.decl.ns);
  }
  for (const std::string& ns : namespaces) {
    std::string target = namespaces.size() == 1 ? name : ns + "-" + name;
    if (!is_dns_label(target)) {
      plan.errors.emplace_back(
          ErrorKind::kInvalidInput,
          "the preview namespace for namespace '" + ns + "' would be '" + target +
              "', which is not a valid namespace name",
          SourceLocation{working.definition_file, 0, 0},
          "choose a shorter preview name: the cluster has several namespaces, so each preview "
          "namespace is <namespace>-<name>, at most 63 characters");
    }
    plan.namespaces[ns] = std::move(target);
  }

  // What changed: each resource of the working tree against the base's
  // object of the same identity, by content, then by Merkle node hash.
  std::map<std::string, size_t> base_index;
  for (size_t i = 0; i < base.manifests.size(); ++i) base_index[base.manifests[i].id.key()] = i;
  std::map<std::string, size_t> working_index;
  for (size_t k = 0; k < working.graph.manifests.size(); ++k) {
    working_index[working.graph.manifests[k].id.key()] = k;
  }
  auto mark_changed = [&](size_t instance, std::string why) {
    PreviewInstance& p = plan.instances[instance];
    if (p.role == PreviewRole::kChanged) return;
    p.role = PreviewRole::kChanged;
    p.reason = std::move(why);
  };
  // Content first: an instance whose own resources differ in bytes.
  std::vector<size_t> reference_changed;  // same bytes, another node hash
  for (size_t k = 0; k < working.graph.manifests.size(); ++k) {
    const size_t instance = working.resources[k].instance;
    if (instance == kNoInstance) continue;  // a generated Namespace
    const Manifest& m = working.graph.manifests[k];
    auto it = base_index.find(m.id.key());
    if (it == base_index.end()) {
      mark_changed(instance, m.id.display() + " is new");
    } else if (base.manifests[it->second].blob != m.blob) {
      mark_changed(instance, m.id.display() + " changed");
    } else if (base.nodes[it->second] != working.graph.nodes[k]) {
      reference_changed.push_back(k);
    }
  }
  for (const Manifest& m : base.manifests) {
    std::optional<size_t> owner = owner_in_working(working, working_index, m);
    if (!owner) continue;
    plan.instances[*owner].base_resources.push_back(m.id);
    plan.instances[*owner].base_bytes += m.canonical.size();
    if (!working_index.count(m.id.key())) mark_changed(*owner, m.id.display() + " was removed");
  }

  // Dependents, to a fixed point: whatever needs a changed instance is
  // rebuilt beside it, so it talks to the preview's copy.
  auto add_dependents = [&] {
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t j = 0; j < working.instances.size(); ++j) {
        if (emitted(plan.instances[j].role)) continue;
        for (const Binding& b : working.instances[j].bindings) {
          if (!b.target || !emitted(plan.instances[*b.target].role)) continue;
          const PreviewInstance& dep = plan.instances[*b.target];
          plan.instances[j].role = PreviewRole::kDependent;
          plan.instances[j].reason =
              "needs '" + b.need + "' = " + working.instances[*b.target].decl.qualified() +
              (dep.role == PreviewRole::kChanged ? ", which changed" : ", which is rebuilt");
          grew = true;
          break;
        }
      }
    }
  };
  add_dependents();
  // The Merkle hash catches what the needs do not show: a resource with the
  // same bytes that references something changed.
  for (size_t k : reference_changed) {
    PreviewInstance& p = plan.instances[working.resources[k].instance];
    if (emitted(p.role)) continue;
    p.role = PreviewRole::kDependent;
    p.reason = working.graph.manifests[k].id.display() + " references a changed resource";
  }
  add_dependents();
  for (size_t j = 0; j < working.instances.size(); ++j) {
    if (!emitted(plan.instances[j].role)) continue;
    const InstanceDecl& decl = working.instances[j].decl;
    if (decl.infrastructure) {
      plan.errors.emplace_back(
          ErrorKind::kInvalidInput,
          "infrastructure instance '" + decl.name + "' " +
              (plan.instances[j].role == PreviewRole::kChanged ? "changed against the base ("
                                                               : "is affected by a change (") +
              plan.instances[j].reason +
              "): the whole cluster shares it, and a preview cannot hold a second copy",
          decl.where,
          "deploy the infrastructure change to the base first (kix deploy), then preview "
          "against the generation that has it");
      continue;
    }
    plan.instances[j].preview_namespace = plan.namespaces.at(decl.ns);
    for (const Binding& b : working.instances[j].bindings) {
      if (!b.target) continue;
      PreviewInstance& dep = plan.instances[*b.target];
      if (emitted(dep.role) || dep.role == PreviewRole::kReused) continue;
      dep.role = PreviewRole::kReused;
      dep.reason = "needed as '" + b.need + "' by " + decl.qualified();
    }
  }
  return plan;
}

void apply_preview(const PreviewPlan& plan, const Compilation& working, Resolution& resolution) {
  if (resolution.instances.size() != working.instances.size()) {
    throw Error(ErrorKind::kConflict,
                "the definition changed while the preview was being built (" +
                    std::to_string(working.instances.size()) + " instances, then " +
                    std::to_string(resolution.instances.size()) + ")",
                {}, "run kix preview again");
  }
  std::vector<std::optional<size_t>> renumbered(resolution.instances.size());
  std::vector<ResolvedInstance> kept;
  for (size_t i = 0; i < resolution.instances.size(); ++i) {
    const PreviewInstance& p = plan.instances[i];
    if (p.role == PreviewRole::kLeftOut) continue;
    if (resolution.instances[i].decl.qualified() != working.instances[i].decl.qualified()) {
      throw Error(ErrorKind::kConflict,
                  "the definition changed while the preview was being built (" +
                      working.instances[i].decl.qualified() + " became " +
                      resolution.instances[i].decl.qualified() + ")",
                  {}, "run kix preview again");
    }
    renumbered[i] = kept.size();
    kept.push_back(std::move(resolution.instances[i]));
  }
  for (size_t i = 0; i < renumbered.size(); ++i) {
    if (!renumbered[i]) continue;
    ResolvedInstance& r = kept[*renumbered[i]];
    if (plan.instances[i].role == PreviewRole::kReused) {
      // The base runs it: what dependents see is what it offers there.
      r.decl.external = true;
      r.decl.out = working.instances[i].out.json;
      r.bindings.clear();
      continue;
    }
    r.decl.ns = plan.instances[i].preview_namespace;
    for (Binding& b : r.bindings) {
      if (!b.target) continue;
      if (!renumbered[*b.target]) {
        throw Error(ErrorKind::kInternal, "preview: " + r.decl.qualified() + " needs '" + b.need +
                                              "', which the preview left out");
      }
      b.target = renumbered[*b.target];
    }
  }
  std::vector<size_t> order;
  for (size_t i : resolution.order) {
    if (renumbered[i]) order.push_back(*renumbered[i]);
  }
  resolution.instances = std::move(kept);
  resolution.order = std::move(order);
}

std::vector<Error> check_preview_resources(const PreviewPlan& plan, const Compilation& preview) {
  std::set<std::string> own;
  for (const auto& [base_ns, preview_ns] : plan.namespaces) own.insert(preview_ns);
  std::vector<Error> errors;
  for (const CompiledResource& r : preview.resources) {
    const Json& m = r.manifest;
    const std::string kind = m.value("kind", "");
    const std::string name =
        m.contains("metadata") && m["metadata"].is_object() ? m["metadata"].value("name", "") : "";
    if (!is_cluster_scoped(kind)) continue;
    if (kind == "Namespace" && own.count(name)) continue;
    std::string instance = r.instance == kNoInstance
                               ? std::string("the preview")
                               : preview.instances[r.instance].decl.qualified();
    errors.emplace_back(ErrorKind::kInvalidInput,
                        instance + " emits the cluster-scoped " + kind + " '" + name +
                            "': the preview would overwrite the base's, which every namespace "
                            "shares",
                        r.where,
                        "give the package an option that names it per namespace, or deploy the "
                        "change to the base instead of previewing it");
  }
  return errors;
}

namespace {

const Json* field(const Json& j, const char* key) {
  return json_child(j, key);
}

std::string str_field(const Json* j, const char* key) {
  if (j == nullptr) return "";
  const Json* v = field(*j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

bool optional_ref(const Json* ref) {
  const Json* o = ref == nullptr ? nullptr : field(*ref, "optional");
  return o != nullptr && o->is_boolean() && o->get<bool>();
}

struct Use {
  std::string kind;
  std::string name;
};

std::vector<Use> namespaced_uses(const Json& spec) {
  std::vector<Use> uses;
  auto add = [&](const char* kind, std::string name) {
    if (!name.empty()) uses.push_back({kind, std::move(name)});
  };
  std::string sa = str_field(&spec, "serviceAccountName");
  if (sa != "default") add("ServiceAccount", sa);
  if (const Json* volumes = field(spec, "volumes"); volumes != nullptr && volumes->is_array()) {
    for (const Json& v : *volumes) {
      if (const Json* s = field(v, "secret"); s != nullptr && !optional_ref(s))
        add("Secret", str_field(s, "secretName"));
      if (const Json* c = field(v, "configMap"); c != nullptr && !optional_ref(c))
        add("ConfigMap", str_field(c, "name"));
      add("PersistentVolumeClaim", str_field(field(v, "persistentVolumeClaim"), "claimName"));
      const Json* projected = field(v, "projected");
      const Json* sources = projected == nullptr ? nullptr : field(*projected, "sources");
      if (sources == nullptr || !sources->is_array()) continue;
      for (const Json& s : *sources) {
        if (const Json* r = field(s, "secret"); r != nullptr && !optional_ref(r))
          add("Secret", str_field(r, "name"));
        if (const Json* r = field(s, "configMap"); r != nullptr && !optional_ref(r))
          add("ConfigMap", str_field(r, "name"));
      }
    }
  }
  for (const char* list : {"initContainers", "containers"}) {
    const Json* containers = field(spec, list);
    if (containers == nullptr || !containers->is_array()) continue;
    for (const Json& c : *containers) {
      if (const Json* env = field(c, "env"); env != nullptr && env->is_array()) {
        for (const Json& e : *env) {
          const Json* from = field(e, "valueFrom");
          if (from == nullptr) continue;
          if (const Json* r = field(*from, "secretKeyRef"); r != nullptr && !optional_ref(r))
            add("Secret", str_field(r, "name"));
          if (const Json* r = field(*from, "configMapKeyRef"); r != nullptr && !optional_ref(r))
            add("ConfigMap", str_field(r, "name"));
        }
      }
      if (const Json* env_from = field(c, "envFrom"); env_from != nullptr && env_from->is_array()) {
        for (const Json& e : *env_from) {
          if (const Json* r = field(e, "secretRef"); r != nullptr && !optional_ref(r))
            add("Secret", str_field(r, "name"));
          if (const Json* r = field(e, "configMapRef"); r != nullptr && !optional_ref(r))
            add("ConfigMap", str_field(r, "name"));
        }
      }
    }
  }
  return uses;
}

}  // namespace

std::vector<std::string> cross_namespace_uses(const PreviewPlan& plan, const Graph& preview,
                                              const Graph& base) {
  std::map<std::string, std::string> base_of;  // preview namespace -> base namespace
  for (const auto& [base_ns, preview_ns] : plan.namespaces) base_of[preview_ns] = base_ns;
  std::set<std::string> have;  // "Kind/namespace/name" (core kinds only)
  for (const Manifest& m : preview.manifests)
    have.insert(m.id.kind + "/" + m.id.ns + "/" + m.id.name);
  std::set<std::string> in_base;
  for (const Manifest& m : base.manifests)
    in_base.insert(m.id.kind + "/" + m.id.ns + "/" + m.id.name);
  std::vector<std::string> found;
  std::set<std::string> said;
  for (const Manifest& m : preview.manifests) {
    const Json* spec = pod_spec(m.value);
    if (spec == nullptr) continue;
    auto base_ns = base_of.find(m.id.ns);
    if (base_ns == base_of.end()) continue;
    for (const Use& use : namespaced_uses(*spec)) {
      if (have.count(use.kind + "/" + m.id.ns + "/" + use.name)) continue;
      std::string text = m.id.display() + " uses " + use.kind + "/" + use.name + ", which ";
      if (in_base.count(use.kind + "/" + base_ns->second + "/" + use.name)) {
        text += "only namespace " + base_ns->second + " has";
      } else {
        text +=
            "is not in the preview (in the base it is made at run time, e.g. by an "
            "operator, in namespace " +
            base_ns->second + ")";
      }
      if (said.insert(text).second) found.push_back(std::move(text));
    }
  }
  return found;
}

}  // namespace kix::compiler
