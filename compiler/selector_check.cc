#include "compiler/selector_check.h"

#include <map>

#include "manifest/pod_template.h"

namespace kix::compiler {

namespace {

const Json* at(const Json& j, std::initializer_list<const char*> path) {
  return json_at(j, path);
}

// Every pair of `subset` is in `labels`.
bool within(const Json& subset, const Json& labels) {
  if (!subset.is_object() || !labels.is_object()) return false;
  for (const auto& [k, v] : subset.items()) {
    auto it = labels.find(k);
    if (it == labels.end() || *it != v) return false;
  }
  return true;
}

std::string labels_text(const Json& labels) {
  std::string out;
  for (const auto& [k, v] : labels.items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

}  // namespace

void warn_unmatched_selectors(const Compilation& c, Diagnostics& diags) {
  std::map<std::string, std::vector<const Json*>> pods;       // namespace -> pod labels
  std::map<std::string, std::vector<const Json*>> operators;  // namespace -> out.podSelector
  for (const CompiledResource& r : c.resources) {
    if (const Json* labels = pod_labels(r.manifest)) {
      pods[r.manifest["metadata"].value("namespace", "")].push_back(labels);
    }
  }
  for (const CompiledInstance& inst : c.instances) {
    if (const Json* selector = at(inst.out.json, {"podSelector"});
        selector && selector->is_object()) {
      operators[inst.decl.ns].push_back(selector);
    }
  }
  for (const CompiledResource& r : c.resources) {
    if (r.instance == kNoInstance || r.source.doc == nullptr) continue;
    const Json& m = r.manifest;
    const std::string kind = m.value("kind", "");
    const Json* selector = nullptr;
    if (kind == "Service" && m.value("apiVersion", "") == "v1") {
      selector = at(m, {"spec", "selector"});
    } else if (kind == "PodDisruptionBudget") {
      selector = at(m, {"spec", "selector", "matchLabels"});
    }
    if (selector == nullptr || !selector->is_object() || selector->empty()) continue;
    // A `selects` entry derived it from the workload: it matches by construction.
    const Package* pkg = c.instances[r.instance].package;
    bool derived = false;
    if (pkg != nullptr) {
      for (const ResourceTemplate& t : pkg->resources) {
        if (t.key == r.key && !t.selects.empty()) derived = true;
      }
    }
    if (derived) continue;
    const std::string ns = m["metadata"].value("namespace", "");
    bool matched = false;
    for (const Json* labels : pods[ns]) matched = matched || within(*selector, *labels);
    for (const Json* known : operators[ns]) matched = matched || within(*known, *selector);
    if (matched) continue;
    std::string hint = "a pod must carry every label of the selector";
    for (size_t i : c.instances[r.instance].resources) {
      const Json& w = c.resources[i].manifest;
      if (const Json* labels = pod_labels(w)) {
        hint = w.value("kind", "") + " '" + w["metadata"].value("name", "") +
               "' of the same instance labels its pods " + labels_text(*labels) +
               "; write `selects: " + c.resources[i].key + "` to derive the selector from it";
        break;
      }
    }
    diags.warn(r.where,
               kind + " '" + m["metadata"].value("name", "") + "' in namespace '" + ns +
                   "' selects " + labels_text(*selector) +
                   ", which no pod of this build carries: it " +
                   (kind == "Service" ? "will route to nothing" : "protects nothing"),
               hint);
  }
}

}  // namespace kix::compiler
