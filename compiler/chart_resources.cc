#include "compiler/chart_resources.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "compiler/decoration.h"
#include "manifest/references.h"

namespace kix::compiler {
namespace {

enum class HookPhase { kNone, kPre, kPost, kTest, kOmitted };

// A string field of an object, or "" (rendered output is not trusted to
// have the types a manifest should).
std::string text_of(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Hook {
  HookPhase phase = HookPhase::kNone;
  int weight = 0;
};

Hook hook_of(const Json& doc) {
  const Json* annotations = nullptr;
  if (doc.contains("metadata") && doc["metadata"].is_object() &&
      doc["metadata"].contains("annotations") && doc["metadata"]["annotations"].is_object()) {
    annotations = &doc["metadata"]["annotations"];
  }
  if (annotations == nullptr || !annotations->contains("helm.sh/hook") ||
      !(*annotations)["helm.sh/hook"].is_string()) {
    return {};
  }
  Hook hook;
  if (annotations->contains("helm.sh/hook-weight") &&
      (*annotations)["helm.sh/hook-weight"].is_string()) {
    try {
      hook.weight = std::stoi((*annotations)["helm.sh/hook-weight"].get<std::string>());
    } catch (const std::exception&) {
      hook.weight = 0;
    }
  }
  bool pre = false, post = false, test = false;
  std::istringstream list((*annotations)["helm.sh/hook"].get<std::string>());
  std::string name;
  while (std::getline(list, name, ',')) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    pre = pre || name == "pre-install" || name == "pre-upgrade";
    post = post || name == "post-install" || name == "post-upgrade";
    test = test || name == "test" || name == "test-success";
  }
  hook.phase = pre    ? HookPhase::kPre
               : post ? HookPhase::kPost
               : test ? HookPhase::kTest
                      : HookPhase::kOmitted;  // delete and rollback hooks
  return hook;
}

// Whether `a` must come after `b`.
bool must_follow(const Hook& a, const Hook& b) {
  auto rank = [](HookPhase p) {
    return p == HookPhase::kPre ? 0 : p == HookPhase::kNone ? 1 : p == HookPhase::kPost ? 2 : 3;
  };
  if (a.phase == HookPhase::kTest || b.phase == HookPhase::kTest) {
    return a.phase == HookPhase::kTest && b.phase != HookPhase::kTest;
  }
  if (rank(a.phase) != rank(b.phase)) return rank(a.phase) > rank(b.phase);
  return a.phase != HookPhase::kNone && a.weight > b.weight;
}

}  // namespace

bool ChartResources::namespaced(const Manifest& m) const {
  return !is_cluster_scoped(m.id.kind) &&
         std::find(cluster_scoped_kinds.begin(), cluster_scoped_kinds.end(), m.id.kind) ==
             cluster_scoped_kinds.end();
}

ChartResources chart_resources(std::vector<RenderedDocument> docs, const std::string& ns,
                               const std::string& chart_label, const SourceLocation& where) {
  ChartResources out;
  for (const RenderedDocument& d : docs) {
    if (text_of(d.value, "kind") == "CustomResourceDefinition" && d.value.contains("spec") &&
        text_of(d.value["spec"], "scope") == "Cluster" && d.value["spec"].contains("names")) {
      out.cluster_scoped_kinds.push_back(text_of(d.value["spec"]["names"], "kind"));
    }
  }
  std::vector<Hook> hooks;
  for (RenderedDocument& d : docs) {
    const std::string from =
        "helm template " + chart_label + (d.source.empty() ? "" : ": " + d.source);
    if (!d.value.is_object()) {
      throw Error(ErrorKind::kInvalidInput, from + " rendered a document that is not a map", where);
    }
    Hook hook = hook_of(d.value);
    if (hook.phase == HookPhase::kOmitted) continue;
    const std::string kind = text_of(d.value, "kind");
    const bool cluster_scoped =
        is_cluster_scoped(kind) ||
        std::find(out.cluster_scoped_kinds.begin(), out.cluster_scoped_kinds.end(), kind) !=
            out.cluster_scoped_kinds.end();
    if (d.value.contains("metadata") && d.value["metadata"].is_object() && !cluster_scoped &&
        !d.value["metadata"].contains("namespace")) {
      d.value["metadata"]["namespace"] = ns;
    }
    try {
      out.manifests.push_back(make_manifest(std::move(d.value), {from, 0, 0}));
    } catch (const Error& e) {
      throw Error(ErrorKind::kInvalidInput, e.message(), where,
                  "the chart rendered it (" + from + ")");
    }
    out.sources.push_back(d.source);
    hooks.push_back(hook);
  }
  std::vector<std::vector<InferredRef>> inferred = infer_references(out.manifests);
  const size_t n = out.manifests.size();
  // reaches[a][b]: a references b through inferred references, directly or
  // not. A hook edge k -> other that would close a cycle (other reaches k)
  // is left out: what a resource needs outranks the hook order.
  std::vector<std::vector<bool>> reaches(n, std::vector<bool>(n, false));
  for (size_t a = 0; a < n; ++a) {
    std::vector<size_t> stack = {a};
    while (!stack.empty()) {
      size_t x = stack.back();
      stack.pop_back();
      for (const InferredRef& ref : inferred[x]) {
        if (!reaches[a][ref.to]) {
          reaches[a][ref.to] = true;
          stack.push_back(ref.to);
        }
      }
    }
  }
  out.refs.resize(n);
  for (size_t k = 0; k < n; ++k) {
    std::set<size_t> seen;
    for (const InferredRef& ref : inferred[k]) {
      if (seen.insert(ref.to).second) out.refs[k].emplace_back(ref.to, ref.reason);
    }
  }
  for (size_t k = 0; k < n; ++k) {
    for (size_t other = 0; other < n; ++other) {
      if (other == k || reaches[other][k] || !must_follow(hooks[k], hooks[other]) ||
          std::any_of(out.refs[k].begin(), out.refs[k].end(),
                      [&](const auto& ref) { return ref.first == other; })) {
        continue;
      }
      out.refs[k].emplace_back(other, "Helm hook order");
      // Later hook edges must not close a cycle through this one either.
      for (size_t a = 0; a < n; ++a) {
        if (a != k && !reaches[a][k]) continue;
        reaches[a][other] = true;
        for (size_t b = 0; b < n; ++b) {
          if (reaches[other][b]) reaches[a][b] = true;
        }
      }
    }
  }
  return out;
}

}  // namespace kix::compiler
