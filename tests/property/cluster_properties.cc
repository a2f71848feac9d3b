// Properties of the diff and deploy-order machinery: a diff is empty exactly
// when the values are equal and names every changed leaf; waves respect
// every reference and Namespace for any graph.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "cluster/drift.h"
#include "cluster/live_normalize.h"
#include "manifest/waves.h"
#include "manifest/json_diff.h"
#include "manifest/merkle.h"

namespace kix {
namespace {

Json gen_tree(int depth) {
  int choice = *rc::gen::inRange(0, depth <= 0 ? 2 : 5);
  switch (choice) {
    case 0:
      return Json(*rc::gen::inRange(0, 4));
    case 1:
      return Json(*rc::gen::element<std::string>("a", "b", "c"));
    case 2: {
      Json object = Json::object();
      int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) {
        object[*rc::gen::element<std::string>("x", "y", "app.kubernetes.io/name", "z")] =
            gen_tree(depth - 1);
      }
      return object;
    }
    case 3: {
      Json list = Json::array();
      int n = *rc::gen::inRange(0, 3);
      for (int i = 0; i < n; ++i) list.push_back(gen_tree(depth - 1));
      return list;
    }
    default: {
      // A named list, as containers or env are.
      Json list = Json::array();
      std::set<std::string> used;
      int n = *rc::gen::inRange(0, 3);
      for (int i = 0; i < n; ++i) {
        std::string name = *rc::gen::element<std::string>("web", "db", "cache");
        if (!used.insert(name).second) continue;
        list.push_back({{"name", name}, {"value", gen_tree(depth - 2)}});
      }
      return list;
    }
  }
}

RC_GTEST_PROP(ClusterProperties, EqualValuesHaveNoDiffAndDifferentOnesDo, ()) {
  Json a = gen_tree(3);
  RC_ASSERT(diff_manifests(a, a).empty());
  Json b = gen_tree(3);
  auto changes = diff_manifests(a, b);
  // Named lists match by name, so a reordering alone is no change; any
  // reported change means the values differ.
  if (!changes.empty()) RC_ASSERT(a != b);
  for (const auto& change : changes) {
    RC_ASSERT(change.path.rfind("$", 0) == 0);
    RC_ASSERT(change.before != change.after);
  }
}

RC_GTEST_PROP(ClusterProperties, ChangingOneLeafIsOneChangeAtItsPath, ()) {
  Json a = {{"spec", gen_tree(3)}, {"leaf", {{"x", 1}}}};
  Json b = a;
  b["leaf"]["x"] = 2;
  auto changes = diff_manifests(a, b);
  RC_ASSERT(changes.size() == 1u);
  RC_ASSERT(changes[0].path == "$.leaf.x");
}

RC_GTEST_PROP(ClusterProperties, ProjectingAValueOntoItselfChangesNothing, ()) {
  Json a = {{"spec", gen_tree(3)}};
  RC_ASSERT(project_live(a, a) == a);
}

RC_GTEST_PROP(ClusterProperties, WavesRespectEveryReferenceAndNamespace, ()) {
  const int n = *rc::gen::inRange(1, 25);
  std::vector<Manifest> manifests;
  std::vector<std::vector<size_t>> refs(n);
  std::set<std::string> namespaces_made;
  for (int i = 0; i < n; ++i) {
    // Namespaces are named like the namespaces resources live in, so the
    // Namespace-before-its-resources rule is exercised; each is made once.
    std::string ns = *rc::gen::element<std::string>("", "a", "b");
    bool is_namespace =
        *rc::gen::inRange(0, 4) == 0 && !ns.empty() && namespaces_made.insert(ns).second;
    Json value =
        is_namespace
            ? Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}
            : Json{{"apiVersion", "v1"},
                   {"kind", *rc::gen::element<std::string>("ConfigMap", "Service", "Widget")},
                   {"metadata", {{"name", "r" + std::to_string(i)}, {"namespace", ns}}}};
    if (!is_namespace && ns.empty()) value["metadata"].erase("namespace");
    manifests.push_back(make_manifest(value, SourceLocation{"gen", i + 1}));
    // Edges only to earlier indices keep the graph acyclic; a Namespace
    // references nothing, as in real clusters.
    for (int j = 0; j < i && !is_namespace; ++j) {
      if (*rc::gen::inRange(0, 4) == 0) refs[i].push_back(static_cast<size_t>(j));
    }
  }
  std::set<std::string> names;
  for (const auto& m : manifests) RC_PRE(names.insert(m.id.key()).second);
  Graph graph = build_graph(manifests, refs);
  auto waves = plan_waves(graph);
  std::vector<size_t> wave_of(graph.manifests.size(), SIZE_MAX);
  for (size_t w = 0; w < waves.size(); ++w) {
    RC_ASSERT(!waves[w].empty());
    for (size_t i : waves[w]) {
      RC_ASSERT(wave_of[i] == SIZE_MAX);
      wave_of[i] = w;
    }
  }
  size_t namespaced_checks = 0;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    RC_ASSERT(wave_of[i] != SIZE_MAX);
    for (size_t r : graph.refs[i]) RC_ASSERT(wave_of[i] > wave_of[r]);
    for (size_t j = 0; j < graph.manifests.size(); ++j) {
      const ResourceId& ns = graph.manifests[j].id;
      if (ns.kind == "Namespace" && ns.name == graph.manifests[i].id.ns) {
        RC_ASSERT(wave_of[i] > wave_of[j]);
        ++namespaced_checks;
      }
    }
  }
  RC_CLASSIFY(namespaced_checks > 0, "a resource shares a graph with its Namespace");
}

// The base64 form the API server stores a Secret value in.
std::string stored_form(const std::string& value) {
  Json secret = {{"kind", "Secret"}, {"stringData", {{"k", value}}}};
  return desired_as_stored(secret)["data"]["k"].get<std::string>();
}

RC_GTEST_PROP(ClusterProperties, SecretValuesNeverAppearInALiveDiff, ()) {
  const int n = *rc::gen::inRange(1, 4);
  Json desired = {{"apiVersion", "v1"},
                  {"kind", "Secret"},
                  {"metadata", {{"name", "db"}, {"namespace", "app"}}},
                  {"stringData", Json::object()}};
  Json live = {{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", "db"}, {"namespace", "app"}}},
               {"data", Json::object()}};
  std::vector<std::string> secrets;
  for (int i = 0; i < n; ++i) {
    const std::string key = "key" + std::to_string(i);
    // The prefix keeps a short random value from matching unrelated text.
    const auto printable = rc::gen::container<std::string>(rc::gen::inRange<char>('!', '~' + 1));
    std::string mine = "s3cr3t-" + *printable;
    std::string theirs = *rc::gen::element(0, 1) == 0 ? mine : "0ther-" + *printable;
    if (*rc::gen::element(0, 1) == 0) desired["stringData"][key] = mine;
    if (*rc::gen::element(0, 1) == 0) live["data"][key] = stored_form(theirs);
    secrets.insert(secrets.end(), {mine, theirs, stored_form(mine), stored_form(theirs)});
  }
  // kubectl apply (client side) leaves the whole object in an annotation.
  live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
      desired.dump();
  DiffReport report = diff_against_live({make_manifest(desired, SourceLocation{"kix"})},
                                        {make_manifest(live, SourceLocation{"live"})});
  std::string shown;
  for (const ResourceDiff& r : report.resources) {
    for (const FieldChange& change : r.changes) {
      shown += change.path + " " + (change.before ? change.before->dump() : "") + " " +
               (change.after ? change.after->dump() : "") + "\n";
    }
  }
  for (const std::string& secret : secrets) {
    RC_ASSERT(shown.find(Json(secret).dump()) == std::string::npos);
    RC_ASSERT(shown.find(secret) == std::string::npos);
  }
}

}  // namespace
}  // namespace kix
