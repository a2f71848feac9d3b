#include "compiler/emitter.h"

#include <algorithm>
#include <map>

#include "compiler/checks.h"
#include "compiler/decoration.h"
#include "compiler/options.h"

namespace kix::compiler {

namespace {

class Emitter {
 public:
  Emitter(const ClusterDefinition& def, Compilation& out, Diagnostics& diags)
      : def_(def), c_(out), diags_(diags) {}

  void run(const std::vector<size_t>& order) {
    for (size_t i : order) {
      try {
        evaluate(i);
      } catch (Error& e) {
        c_.instances[i].failed = true;
        if (c_.instances[i].package != nullptr) c_.instances[i].package->quote_source(e);
        e.with_context("while compiling instance '" + c_.instances[i].decl.name +
                       "' in namespace '" + c_.instances[i].decl.ns + "'");
        c_.errors.push_back(std::move(e));
      }
    }
  }

 private:
  void evaluate(size_t i) {
    CompiledInstance& inst = c_.instances[i];
    if (inst.failed) return;
    for (const auto& b : inst.bindings) {
      // The cause was reported where the dependency failed.
      if (b.target && !c_.instances[*b.target].evaluated) {
        inst.failed = true;
        return;
      }
    }
    if (inst.decl.external) {
      inst.out = Value(inst.decl.out);
      inst.evaluated = true;
      return;
    }
    const Package& pkg = *inst.package;
    const std::string config_pointer = inst.decl.pointer + "/config";
    inst.config = apply_options(pkg.options, inst.decl.config, [&](const std::string& p) {
      return inst.decl.auto_instantiated ? inst.decl.where : def_.locate(config_pointer + p);
    });
    MapScope scope;
    fill_scope(inst, scope);
    size_t errors_before = c_.errors.size();
    run_checks(pkg, scope, inst.decl.where, diags_, c_.errors);
    if (c_.errors.size() > errors_before) {
      // Templates would only fail again on what the check already reported.
      inst.failed = true;
      return;
    }
    emit_resources(i, scope);
    if (pkg.has_out) {
      TemplateSource source{&pkg.doc, "/out"};
      inst.out = render_template(pkg.doc.value["out"], source, scope);
    } else {
      inst.out = Value(Json::object());
    }
    inst.evaluated = true;
  }

  void fill_scope(const CompiledInstance& inst, MapScope& scope) {
    Json aliases = inst.decl.aliases;
    Json self = {
        {"name", inst.decl.name}, {"namespace", inst.decl.ns}, {"package", inst.package->name},
        {"config", inst.config},  {"aliases", aliases},        {"cluster", c_.cluster}};
    scope.set("self", Value(self));
    scope.set("config", Value(inst.config));
    scope.set("cluster", Value(Json{{"name", c_.cluster}}));
    for (const auto& b : inst.bindings) {
      if (!b.target) {
        scope.set(b.need, Value(nullptr));
        continue;
      }
      const CompiledInstance& dep = c_.instances[*b.target];
      Value v(Json{{"name", dep.decl.name},
                   {"namespace", dep.decl.ns},
                   {"package", dep.package != nullptr ? dep.package->name : ""},
                   {"out", dep.out.json}});
      auto tree = std::make_shared<ProvenanceTree>();
      ProvenanceTree& out_tree = tree->children["out"];
      if (dep.out.parts) out_tree = *dep.out.parts;
      out_tree.self = dep.out.prov;
      v.parts = std::move(tree);
      scope.set(b.need, std::move(v));
    }
  }

  void emit_resources(size_t i, MapScope& scope) {
    const Package& pkg = *c_.instances[i].package;
    Value resources(Json::object());
    auto tree = std::make_shared<ProvenanceTree>();
    for (const auto& t : pkg.resources) {
      scope.set("resources", resources);
      if (!t.when.empty()) {
        ExprSite site{pkg.doc.locate(t.pointer.substr(0, t.pointer.rfind('/')) + "/when"), t.when};
        if (!truthy(evaluate_text(t.when, scope, site), site)) {
          resources.json[t.key] = nullptr;
          continue;
        }
      }
      size_t index = emit_resource(i, t, scope);
      resources.json[t.key] = c_.resources[index].manifest;
      tree->children[t.key].self = {index};
      resources.parts = tree;
    }
    scope.set("resources", resources);
  }

  size_t emit_resource(size_t i, const ResourceTemplate& t, const MapScope& scope) {
    CompiledInstance& inst = c_.instances[i];
    const Package& pkg = *inst.package;
    CompiledResource r;
    r.instance = i;
    r.key = t.key;
    r.source = TemplateSource{&pkg.doc, t.pointer};
    r.where = pkg.doc.locate(t.pointer);
    Value rendered = render_template(pkg.doc.value.at(nlohmann::json::json_pointer(t.pointer)),
                                     r.source, scope, &r.interpolations);
    r.manifest = std::move(rendered.json);
    if (!r.manifest.is_object() || !r.manifest.contains("kind") ||
        !r.manifest["kind"].is_string() || !r.manifest.contains("apiVersion") ||
        !r.manifest["apiVersion"].is_string()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + t.key + "' of package '" + pkg.name +
                      "' needs string 'apiVersion' and 'kind'",
                  r.where);
    }
    check_metadata_shape(r.manifest, t, pkg);
    ResourceOrigin origin{pkg.name, inst.decl.name,
                          inst.decl.infrastructure ? c_.cluster : inst.decl.ns, t.key,
                          inst.decl.ns};
    decorate(r.manifest, origin);
    const Json& name = r.manifest["metadata"]["name"];
    if (!name.is_string() || name.get<std::string>().empty()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + t.key + "' of package '" + pkg.name +
                      "' has a metadata.name that is not a non-empty string",
                  pkg.doc.locate(t.pointer + "/metadata/name"));
    }
    std::map<size_t, std::string> refs;
    for (size_t p : rendered.all()) refs.emplace(p, reason_for(r, p));
    if (!t.selects.empty()) select(r, t, inst, refs);
    if (!is_cluster_scoped(r.manifest["kind"].get<std::string>())) {
      refs.emplace(namespace_resource(inst.decl.ns), "/metadata/namespace");
    }
    for (auto& [to, reason] : refs) {
      r.refs.push_back(to);
      r.ref_reasons.push_back(std::move(reason));
    }
    size_t index = c_.resources.size();
    c_.resources.push_back(std::move(r));
    inst.resources.push_back(index);
    return index;
  }

  // decorate() writes into metadata and metadata.labels; a template that
  // gives them another type (null aside) would have it silently replaced,
  // so it is an error at the template instead.
  static void check_metadata_shape(const Json& manifest, const ResourceTemplate& t,
                                   const Package& pkg) {
    auto metadata = manifest.find("metadata");
    if (metadata == manifest.end()) return;
    if (metadata->is_null()) return;
    if (!metadata->is_object()) {
      throw Error(
          ErrorKind::kInvalidInput,
          "resource '" + t.key + "' of package '" + pkg.name + "' has a metadata that is not a map",
          pkg.doc.locate(t.pointer + "/metadata"));
    }
    auto labels = metadata->find("labels");
    if (labels != metadata->end() && !labels->is_object() && !labels->is_null()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + t.key + "' of package '" + pkg.name +
                      "' has metadata.labels that is not a map",
                  pkg.doc.locate(t.pointer + "/metadata/labels"),
                  "write labels as `key: value` pairs");
    }
  }

  void select(CompiledResource& r, const ResourceTemplate& t, const CompiledInstance& inst,
              std::map<size_t, std::string>& refs) {
    auto it = std::find_if(inst.resources.begin(), inst.resources.end(),
                           [&](size_t idx) { return c_.resources[idx].key == t.selects; });
    if (it == inst.resources.end()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + t.key + "' selects '" + t.selects +
                      "', which was not emitted (its 'when' is false)",
                  r.where);
    }
    const Json& workload = c_.resources[*it].manifest;
    if (!is_workload(workload.value("kind", "")) || !select_workload(r.manifest, workload)) {
      throw Error(
          ErrorKind::kInvalidInput,
          "resource '" + t.key + "' (" + r.manifest.value("kind", "") + ") cannot select '" +
              t.selects + "' (" + workload.value("kind", "") + ")",
          r.where,
          "'selects' is for a Service, PodDisruptionBudget or NetworkPolicy selecting a workload");
    }
    refs.emplace(*it, "selector of " + workload.value("kind", "") + "/" +
                          workload["metadata"].value("name", ""));
  }

  static std::string reason_for(const CompiledResource& r, size_t target) {
    for (const auto& in : r.interpolations) {
      if (std::binary_search(in.prov.begin(), in.prov.end(), target)) {
        return in.pointer + " = ${" + in.expression + "}";
      }
    }
    return "value";
  }

  size_t namespace_resource(const std::string& ns) {
    auto it = namespaces_.find(ns);
    if (it != namespaces_.end()) return it->second;
    CompiledResource r;
    r.manifest = {
        {"apiVersion", "v1"},
        {"kind", "Namespace"},
        {"metadata", {{"name", ns}, {"labels", {{"app.kubernetes.io/managed-by", "kix"}}}}}};
    r.where = def_.locate("/instances/" + json_pointer_escape(ns));
    size_t index = c_.resources.size();
    c_.resources.push_back(std::move(r));
    namespaces_[ns] = index;
    return index;
  }

  const ClusterDefinition& def_;
  Compilation& c_;
  Diagnostics& diags_;
  std::map<std::string, size_t> namespaces_;
};

}  // namespace

void emit(const ClusterDefinition& def, Resolution resolution, Compilation& out,
          Diagnostics& diags) {
  out.instances.clear();
  for (auto& r : resolution.instances) {
    CompiledInstance inst;
    inst.decl = std::move(r.decl);
    inst.package = r.package;
    inst.bindings = std::move(r.bindings);
    inst.failed = r.failed;
    out.instances.push_back(std::move(inst));
  }
  Emitter(def, out, diags).run(resolution.order);
}

}  // namespace kix::compiler
