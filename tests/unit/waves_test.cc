#include "manifest/waves.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

Manifest manifest(const std::string& text) {
  return make_manifest(Json::parse(text), SourceLocation{"test.yaml", 1});
}

std::vector<size_t> wave_of(const Graph& graph, const std::vector<std::vector<size_t>>& waves) {
  std::vector<size_t> wave(graph.manifests.size(), SIZE_MAX);
  for (size_t w = 0; w < waves.size(); ++w) {
    for (size_t i : waves[w]) wave[i] = w;
  }
  return wave;
}

Graph immich_like() {
  std::vector<Manifest> manifests = {
      manifest(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"server","namespace":"immich"},
        "spec":{"template":{"spec":{"volumes":[{"name":"lib","persistentVolumeClaim":{"claimName":"library"}}]}}}})"),
      manifest(
          R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"server","namespace":"immich"}})"),
      manifest(
          R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"library","namespace":"immich"}})"),
      manifest(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"immich"}})"),
      manifest(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"immich"}})"),
      manifest(
          R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"Cluster","metadata":{"name":"db","namespace":"immich"}})"),
      manifest(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
        "metadata":{"name":"clusters.postgresql.cnpg.io"},
        "spec":{"group":"postgresql.cnpg.io","names":{"kind":"Cluster","plural":"clusters"}}})"),
      manifest(
          R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"fast"}})"),
  };
  // server -> library, cfg, db; service -> server; library -> fast
  return build_graph(manifests, {{2, 3, 5}, {0}, {7}, {}, {}, {}, {}, {}});
}

TEST(Waves, EveryReferenceGoesToAnEarlierWave) {
  Graph graph = immich_like();
  auto waves = plan_waves(graph);
  auto wave = wave_of(graph, waves);
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    ASSERT_NE(wave[i], SIZE_MAX) << graph.manifests[i].id.display();
    for (size_t ref : graph.refs[i]) {
      EXPECT_GT(wave[i], wave[ref])
          << graph.manifests[i].id.display() << " -> " << graph.manifests[ref].id.display();
    }
  }
}

TEST(Waves, NamespacesAndCrdsComeFirstAlone) {
  Graph graph = immich_like();
  auto waves = plan_waves(graph);
  ASSERT_FALSE(waves.empty());
  ASSERT_EQ(waves[0].size(), 2u);
  EXPECT_EQ(graph.manifests[waves[0][0]].id.kind, "Namespace");
  EXPECT_EQ(graph.manifests[waves[0][1]].id.kind, "CustomResourceDefinition");
  auto wave = wave_of(graph, waves);
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (!graph.manifests[i].id.ns.empty()) {
      EXPECT_GT(wave[i], wave[4]);
    }
  }
  EXPECT_GT(wave[5], wave[6]);  // the custom resource after its CRD
}

TEST(Waves, WithinAWaveHelmInstallOrder) {
  Graph graph = immich_like();
  auto waves = plan_waves(graph);
  ASSERT_GE(waves.size(), 2u);
  std::vector<std::string> kinds;
  for (size_t i : waves[1]) kinds.push_back(graph.manifests[i].id.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"ConfigMap", "StorageClass", "Cluster"}));
  EXPECT_LT(install_order("Namespace"), install_order("ConfigMap"));
  EXPECT_LT(install_order("Service"), install_order("Deployment"));
  EXPECT_EQ(install_order("Widget"), install_order("AnotherUnknownKind"));
}

TEST(Waves, NoFoundationMeansWaveZeroIsFirstLayer) {
  Graph graph = build_graph(
      {manifest(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})")}, {{}});
  auto waves = plan_waves(graph);
  ASSERT_EQ(waves.size(), 1u);
  EXPECT_EQ(waves[0], std::vector<size_t>{0});
  EXPECT_TRUE(plan_waves(build_graph({}, {})).empty());
}

}  // namespace
}  // namespace kix
