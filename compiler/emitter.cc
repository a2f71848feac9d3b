#include "compiler/emitter.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "compiler/chart_resources.h"
#include "compiler/checks.h"
#include "compiler/decoration.h"
#include "compiler/options.h"
#include "compiler/resource_patches.h"
#include "manifest/references.h"

namespace kix::compiler {

namespace {

// [A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?: a non-empty label value.
bool is_label_value_text(std::string_view text) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (text.empty() || !alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

class Emitter {
 public:
  Emitter(const ClusterDefinition& def, Compilation& out, Diagnostics& diags,
          const ChartContext& charts)
      : def_(def), c_(out), diags_(diags), charts_(charts) {}

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
    bind_lets(pkg, scope);
    patch_hits_.assign(inst.decl.patches.size(), 0);
    size_t errors_before = c_.errors.size();
    run_checks(pkg, scope, inst.decl.where, diags_, c_.errors);
    if (c_.errors.size() > errors_before) {
      // Templates would only fail again on what the check already reported.
      inst.failed = true;
      return;
    }
    emit_resources(i, scope);
    if (pkg.chart) emit_chart(i, scope);
    check_patch_targets(inst.decl, pkg, c_.resources, inst.resources, patch_hits_);
    if (pkg.has_out) {
      TemplateSource source{&pkg.doc, "/out"};
      inst.out = render_template(pkg.doc.value["out"], source, scope);
    } else {
      inst.out = Value(Json::object());
    }
    if (pkg.doc.value.contains("tests")) {
      TemplateSource source{&pkg.doc, "/tests"};
      inst.tests = render_template(pkg.doc.value["tests"], source, scope).json;
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

  // `let:` (docs/packages.md, "Let"), in the order written: each binding
  // sees the ones above it. Values keep their provenance.
  static void bind_lets(const Package& pkg, MapScope& scope) {
    for (const auto& let : pkg.lets) {
      TemplateSource source{&pkg.doc, let.pointer};
      scope.set(let.name,
                render_template(pkg.doc.value.at(nlohmann::json::json_pointer(let.pointer)), source,
                                scope));
    }
  }

  void emit_resources(size_t i, MapScope& scope) {
    const Package& pkg = *c_.instances[i].package;
    // Built in place in the scope: each template sees the resources emitted
    // before it. (A copy per template was quadratic in the package's size.)
    Value& resources = scope.slot("resources");
    resources = Value(Json::object());
    auto tree = std::make_shared<ProvenanceTree>();
    for (const auto& t : pkg.resources) {
      if (!t.when.empty()) {
        ExprSite site{pkg.doc.locate(t.pointer.substr(0, t.pointer.rfind('/')) + "/when"), t.when};
        if (!truthy(evaluate_text(t.when, scope, site), site)) {
          resources.json[t.key] = nullptr;
          continue;
        }
      }
      if (t.repeated()) {
        // resources.<key> is a map from each element's key to its resource.
        Json elements = Json::object();
        ProvenanceTree& node = tree->children[t.key];
        for (const auto& [element, index] : emit_elements(i, t, scope)) {
          elements[element] = c_.resources[index].manifest;
          node.children[element].self = {index};
        }
        resources.json[t.key] = std::move(elements);
        resources.parts = tree;
        continue;
      }
      size_t index = emit_resource(i, t, scope);
      resources.json[t.key] = c_.resources[index].manifest;
      tree->children[t.key].self = {index};
      resources.parts = tree;
    }
  }

  // One element of a forEach: its key, and what the key and the
  // collection's own provenance add to the resource's references.
  struct Element {
    std::string key;
    Value each;  // {key, value, index}
    Provenance prov;
  };

  // `each` for an element, with the provenance of its value and key.
  static Value each_value(const Json& key, const Value& value, size_t index,
                          const Provenance& key_prov) {
    Value each(Json{{"key", key}, {"value", value.json}, {"index", index}});
    auto tree = std::make_shared<ProvenanceTree>();
    ProvenanceTree& value_tree = tree->children["value"];
    if (value.parts) value_tree = *value.parts;
    value_tree.self = value.prov;
    if (!key_prov.empty()) tree->children["key"].self = key_prov;
    each.parts = std::move(tree);
    return each;
  }

  // Emits one resource per element of t.for_each (docs/packages.md,
  // "forEach"). Returns each element's key with its resource's index.
  std::vector<std::pair<std::string, size_t>> emit_elements(size_t i, const ResourceTemplate& t,
                                                            const MapScope& scope) {
    const Package& pkg = *c_.instances[i].package;
    const std::string entry = t.pointer.substr(0, t.pointer.rfind('/'));
    const ExprSite for_site{pkg.doc.locate(entry + "/forEach"), t.for_each};
    const ExprSite key_site{pkg.doc.locate(entry + "/key"), t.element_key};
    Value collection = evaluate_text(t.for_each, scope, for_site);
    if (!collection.json.is_array() && !collection.json.is_object()) {
      throw Error(ErrorKind::kInvalidInput,
                  "forEach of resource '" + t.key + "' must give a list or a map, not " +
                      a_type(collection.json),
                  for_site.where, "in: ${" + t.for_each + "}");
    }
    std::vector<Element> elements;
    std::map<std::string, size_t> seen;  // element key -> its position
    auto add = [&](Json default_key, const Value& value) {
      const size_t index = elements.size();
      Json key = default_key;
      Provenance key_prov = collection.prov;
      if (!t.element_key.empty()) {
        MapScope inner(&scope);
        inner.set("each", each_value(default_key, value, index, collection.prov));
        Value k = evaluate_text(t.element_key, inner, key_site);
        key = k.json;
        key_prov = k.all();
      }
      const ExprSite& site = t.element_key.empty() ? for_site : key_site;
      std::string text = element_key_text(t, key, site);
      auto [it, fresh] = seen.emplace(text, index);
      if (!fresh) {
        throw Error(ErrorKind::kInvalidInput,
                    "elements " + std::to_string(it->second) + " and " + std::to_string(index) +
                        " of resource '" + t.key + "' have the same key '" + text + "'",
                    site.where,
                    t.element_key.empty()
                        ? "each element is its own resource: give the entry a 'key:' that "
                          "differs per element"
                        : "each element is its own resource: make 'key:' differ per element");
      }
      Provenance prov = key_prov;
      merge_provenance(prov, collection.prov);
      elements.push_back({text, each_value(text, value, index, key_prov), std::move(prov)});
    };
    if (collection.json.is_array()) {
      for (size_t k = 0; k < collection.json.size(); ++k) {
        add(Json(k), collection.child(std::to_string(k), collection.json[k]));
      }
    } else {
      for (const auto& [k, v] : collection.json.items()) add(Json(k), collection.child(k, v));
    }
    std::vector<std::pair<std::string, size_t>> out;
    std::map<std::string, std::string> identities;  // "Kind name" -> element key
    for (const auto& element : elements) {
      MapScope inner(&scope);
      inner.set("each", element.each);
      size_t index = emit_resource(i, t, inner, &element);
      const Json& m = c_.resources[index].manifest;
      std::string identity =
          m["kind"].get<std::string>() + " '" + m["metadata"]["name"].get<std::string>() + "'";
      auto [it, fresh] = identities.emplace(identity, element.key);
      if (!fresh) {
        throw Error(ErrorKind::kInvalidInput,
                    "elements '" + it->second + "' and '" + element.key + "' of resource '" +
                        t.key + "' both emit " + identity,
                    pkg.doc.locate(t.pointer + "/metadata/name"),
                    "make metadata.name depend on each.key, or leave it out for "
                    "'<instance>-<key>'");
      }
      out.emplace_back(element.key, index);
    }
    return out;
  }

  // An element's key as text: a string or an integer that can go into a
  // name and a label value (the component label is `<key>-<element>`).
  static std::string element_key_text(const ResourceTemplate& t, const Json& key,
                                      const ExprSite& site) {
    if (!key.is_string() && !key.is_number_integer()) {
      throw Error(
          ErrorKind::kInvalidInput,
          "the key of an element of resource '" + t.key + "' is " + a_type(key) + ", not a string",
          site.where, "in: ${" + site.text + "}");
    }
    std::string text = to_interpolated_string(key);
    if (!is_label_value_text(text) || t.key.size() + 1 + text.size() > 63) {
      throw Error(ErrorKind::kInvalidInput,
                  "the key '" + text + "' of an element of resource '" + t.key +
                      "' cannot go into names and labels",
                  site.where,
                  "keys are letters, digits, '-', '_' and '.', starting and ending with a letter "
                  "or digit, at most " +
                      std::to_string(std::max<int>(1, 62 - static_cast<int>(t.key.size()))) +
                      " characters here; give the entry a 'key:' that is");
    }
    return text;
  }

  size_t emit_resource(size_t i, const ResourceTemplate& t, const Scope& scope,
                       const Element* element = nullptr) {
    CompiledInstance& inst = c_.instances[i];
    const Package& pkg = *inst.package;
    CompiledResource r;
    r.instance = i;
    r.key = t.key;
    if (element != nullptr) r.element = element->key;
    // In messages: `cms` or, for an element of a forEach, `cms[a]`.
    const std::string shown = element != nullptr ? t.key + "[" + element->key + "]" : t.key;
    r.source = TemplateSource{&pkg.doc, t.pointer};
    r.where = pkg.doc.locate(t.pointer);
    Value rendered = render_template(pkg.doc.value.at(nlohmann::json::json_pointer(t.pointer)),
                                     r.source, scope, &r.interpolations);
    r.manifest = std::move(rendered.json);
    if (!r.manifest.is_object() || !r.manifest.contains("kind") ||
        !r.manifest["kind"].is_string() || !r.manifest.contains("apiVersion") ||
        !r.manifest["apiVersion"].is_string()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + shown + "' of package '" + pkg.name +
                      "' needs string 'apiVersion' and 'kind'",
                  r.where);
    }
    check_metadata_shape(r.manifest, t, pkg);
    if (element != nullptr) {
      // Elements must not all default to the instance name.
      Json& metadata = r.manifest["metadata"];
      if (!metadata.is_object()) metadata = Json::object();
      if (!metadata.contains("name")) metadata["name"] = inst.decl.name + "-" + element->key;
    }
    ResourceOrigin origin{pkg.name, inst.decl.name,
                          inst.decl.infrastructure ? c_.cluster : inst.decl.ns,
                          element != nullptr ? t.key + "-" + element->key : t.key, inst.decl.ns};
    decorate(r.manifest, origin);
    const Json& name = r.manifest["metadata"]["name"];
    if (!name.is_string() || name.get<std::string>().empty()) {
      throw Error(ErrorKind::kInvalidInput,
                  "resource '" + shown + "' of package '" + pkg.name +
                      "' has a metadata.name that is not a non-empty string",
                  pkg.doc.locate(t.pointer + "/metadata/name"));
    }
    std::map<size_t, std::string> refs;
    for (size_t p : rendered.all()) refs.emplace(p, reason_for(r, p));
    if (element != nullptr) {
      for (size_t p : element->prov) refs.emplace(p, "forEach ${" + t.for_each + "}");
    }
    if (!t.selects.empty()) select(r, t, inst, refs);
    patch(r, inst, scope, refs);
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

  // The instance's `patches:` for `r`, with a reference to every resource
  // their `${...}` read.
  void patch(CompiledResource& r, const CompiledInstance& inst, const Scope& scope,
             std::map<size_t, std::string>& refs) {
    if (inst.decl.patches.empty()) return;
    apply_patches(r, inst.decl, def_, scope, patch_hits_);
    for (const PatchedValue& v : r.patched) {
      for (size_t p : v.prov) refs.emplace(p, v.path + " ← patch at " + v.where.str());
    }
  }

  void select(CompiledResource& r, const ResourceTemplate& t, const CompiledInstance& inst,
              std::map<size_t, std::string>& refs) {
    // An element of a forEach selects the element of the same key of a
    // forEach workload (package.cc allows no other pairing with one).
    const auto& templates = inst.package->resources;
    auto target = std::find_if(templates.begin(), templates.end(),
                               [&](const ResourceTemplate& s) { return s.key == t.selects; });
    const bool per_element = target != templates.end() && target->repeated();
    const std::string element = per_element ? r.element : "";
    auto it = std::find_if(inst.resources.begin(), inst.resources.end(), [&](size_t idx) {
      return c_.resources[idx].key == t.selects && c_.resources[idx].element == element;
    });
    if (it == inst.resources.end()) {
      throw Error(ErrorKind::kInvalidInput,
                  per_element ? "resource '" + t.key + "[" + r.element + "]' selects '" +
                                    t.selects + "', which has no element '" + r.element + "'"
                              : "resource '" + t.key + "' selects '" + t.selects +
                                    "', which was not emitted (its 'when' is false)",
                  r.where, per_element ? "the two forEach entries must give the same keys" : "");
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

  // --- charts (docs/packages.md, "Charts") ---------------------------------

  // A template value of the chart section, or `fallback` when absent.
  Value chart_value(const Package& pkg, const char* key, const MapScope& scope, Json fallback) {
    const Json& chart = pkg.doc.value["chart"];
    if (!chart.contains(key)) return Value(std::move(fallback));
    return render_template(chart[key], TemplateSource{&pkg.doc, std::string("/chart/") + key},
                           scope);
  }

  void emit_chart(size_t i, MapScope& scope) {
    CompiledInstance& inst = c_.instances[i];
    const Package& pkg = *inst.package;
    const ChartTemplate& t = *pkg.chart;
    if (charts_.source == nullptr || charts_.renderer == nullptr) {
      throw Error(ErrorKind::kInvalidInput,
                  "package '" + pkg.name + "' renders the Helm chart " + t.name +
                      ", but this command does not render charts",
                  t.where,
                  "build it with `kix build` (which runs helm) or lock it with `kix lock`");
    }
    Value values = chart_value(pkg, "values", scope, Json::object());
    Value ns = chart_value(pkg, "namespace", scope, inst.decl.ns);
    Value release = chart_value(pkg, "releaseName", scope, inst.decl.name);
    if (!values.json.is_object()) {
      throw Error(ErrorKind::kInvalidInput, "the chart's values must be a map",
                  pkg.doc.locate("/chart/values"));
    }
    if (!ns.json.is_string() || ns.json.get<std::string>().empty() || !release.json.is_string() ||
        release.json.get<std::string>().empty()) {
      throw Error(ErrorKind::kInvalidInput,
                  "the chart's namespace and releaseName must be non-empty strings", t.where);
    }
    ChartRef ref{t.repository, t.name, t.version, pkg.dir};
    std::optional<Hash> locked;
    // Until the chart is fetched: a missing lock entry, a digest mismatch or
    // an unreachable repository is an input failure, not a definition error.
    const bool inputs_failed_before = c_.inputs_failed;
    c_.inputs_failed = true;
    if (!charts_.locking) {
      const LockedChart* entry =
          charts_.lock ? charts_.lock->find_chart(t.repository, t.name, t.version) : nullptr;
      if (entry == nullptr) {
        throw Error(ErrorKind::kNotFound, "chart " + ref.describe() + " is not in kix.lock",
                    t.where,
                    "run `kix lock` to fetch it and record its digest; builds never take a chart "
                    "on trust");
      }
      locked = entry->sha256;
    }
    FetchedChart fetched = charts_.source->fetch(ref, locked, !charts_.refetch);
    c_.inputs_failed = inputs_failed_before;
    c_.charts.push_back(
        {t.repository, t.name, t.version, fetched.url, fetched.sha256, fetched.cached});
    ChartRenderRequest request;
    request.chart = &fetched.archive;
    request.release = release.json.get<std::string>();
    request.ns = ns.json.get<std::string>();
    request.values = values.json;
    request.include_crds = t.include_crds;
    std::vector<RenderedDocument> docs = charts_.renderer->render(request);

    ChartResources rendered =
        chart_resources(std::move(docs), request.ns, t.name + " " + t.version, t.where);
    // The Namespaces first: they are resources too, and the chart's indices
    // below must not move.
    std::map<std::string, size_t> chart_namespaces;
    for (const Manifest& m : rendered.manifests) {
      if (!m.id.ns.empty() && rendered.namespaced(m)) {
        chart_namespaces.emplace(m.id.ns, namespace_resource(m.id.ns));
      }
    }
    const size_t first = c_.resources.size();
    const Provenance from_values = values.all();
    Value chart_scope(Json{{"resources", Json::object()}});
    auto tree = std::make_shared<ProvenanceTree>();
    for (size_t k = 0; k < rendered.manifests.size(); ++k) {
      Manifest& m = rendered.manifests[k];
      CompiledResource r;
      r.instance = i;
      r.key = "chart/" + m.id.kind + "/" + m.id.name;
      r.where = t.where;
      r.rendered_from = t.name + " " + t.version +
                        (rendered.sources[k].empty() ? "" : ": " + rendered.sources[k]);
      std::map<size_t, std::string> refs;
      for (size_t p : from_values) refs.emplace(p, "chart values");
      for (const auto& [to, reason] : rendered.refs[k]) refs.emplace(first + to, reason);
      if (auto ns_index = chart_namespaces.find(m.id.ns);
          ns_index != chart_namespaces.end() && rendered.namespaced(m)) {
        refs.emplace(ns_index->second, "/metadata/namespace");
      }
      const std::string name = m.id.kind + "/" + m.id.name;
      r.manifest = std::move(m.value);
      patch(r, inst, scope, refs);
      for (auto& [to, reason] : refs) {
        r.refs.push_back(to);
        r.ref_reasons.push_back(std::move(reason));
      }
      chart_scope.json["resources"][name] = r.manifest;
      size_t index = c_.resources.size();
      tree->children["resources"].children[name].self = {index};
      c_.resources.push_back(std::move(r));
      inst.resources.push_back(index);
    }
    chart_scope.parts = tree;
    scope.set("chart", chart_scope);
  }

  const ClusterDefinition& def_;
  Compilation& c_;
  Diagnostics& diags_;
  const ChartContext& charts_;
  std::map<std::string, size_t> namespaces_;
  std::vector<size_t> patch_hits_;  // per patch of the instance being evaluated
};

}  // namespace

void emit(const ClusterDefinition& def, Resolution resolution, Compilation& out, Diagnostics& diags,
          const ChartContext& charts) {
  out.instances.clear();
  for (auto& r : resolution.instances) {
    CompiledInstance inst;
    inst.decl = std::move(r.decl);
    inst.package = r.package;
    inst.bindings = std::move(r.bindings);
    inst.failed = r.failed;
    out.instances.push_back(std::move(inst));
  }
  Emitter(def, out, diags, charts).run(resolution.order);
}

}  // namespace kix::compiler
