// plan_prune (cluster/prune.h): what a deploy deletes after its last wave.
#include "cluster/prune.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

Manifest manifest(const std::string& text) {
  return make_manifest(Json::parse(text), SourceLocation{"t.yaml", 1});
}

Graph graph(const std::vector<std::string>& texts, std::vector<std::vector<size_t>> refs = {}) {
  std::vector<Manifest> manifests;
  for (const std::string& t : texts) manifests.push_back(manifest(t));
  if (refs.empty()) refs.resize(manifests.size());
  return build_graph(std::move(manifests), std::move(refs));
}

const std::string kNamespace =
    R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}})";
const std::string kConfig =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app"}})";
const std::string kDeployment =
    R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"}})";
const std::string kClaim =
    R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"app"}})";

std::vector<std::string> commands(const PrunePlan& plan) {
  std::vector<std::string> out;
  for (const DeployStep& s : plan.steps) out.push_back(shell_quote(s.argv));
  return out;
}

TEST(Prune, DeletesWhatTheNewRootLacksDependentsFirst) {
  Graph before = graph({kNamespace, kConfig, kDeployment, kClaim}, {{}, {}, {1, 3}, {}});
  Graph after = graph({kNamespace});
  DeployOptions options;
  options.context = "lab";
  PrunePlan plan = plan_prune({before}, after, options, 5);
  EXPECT_EQ(commands(plan),
            (std::vector<std::string>{
                "kubectl --context lab delete deployment.apps/web -n app --ignore-not-found "
                "--wait=false",
                "kubectl --context lab delete persistentvolumeclaim/data -n app "
                "--ignore-not-found --wait=false",
                "kubectl --context lab delete configmap/cfg -n app --ignore-not-found "
                "--wait=false"}));
  for (const DeployStep& s : plan.steps) {
    EXPECT_EQ(s.kind, StepKind::kDelete);
    EXPECT_EQ(s.wave, 5u);
  }
  EXPECT_TRUE(plan.kept.empty());
}

TEST(Prune, DeletesTheNamespacesItOwnsLast) {
  // A preview being destroyed: everything goes, its own Namespace after
  // what is in it.
  Graph before = graph({kNamespace, kConfig, kDeployment}, {{}, {0}, {0, 1}});
  PrunePlan plan = plan_prune({before}, Graph{}, DeployOptions{}, 0, {"app"});
  EXPECT_EQ(commands(plan),
            (std::vector<std::string>{
                "kubectl delete deployment.apps/web -n app --ignore-not-found --wait=false",
                "kubectl delete configmap/cfg -n app --ignore-not-found --wait=false",
                "kubectl delete namespace/app --ignore-not-found --wait=false"}));
  EXPECT_TRUE(plan.kept.empty());
  PrunePlan other = plan_prune({before}, Graph{}, DeployOptions{}, 0, {"elsewhere"});
  ASSERT_EQ(other.kept.size(), 1u) << "a Namespace it does not own is kept";
  EXPECT_EQ(other.kept[0].id.kind, "Namespace");
}

TEST(Prune, KeepsNamespacesCrdsKeptObjectsAndSecretsKixCannotMakeAgain) {
  Graph before = graph({
      kNamespace,
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"things.example.org"}})",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keep","namespace":"app","annotations":{"helm.sh/resource-policy":"keep"}}})",
      R"({"apiVersion":"kix.dev/v1","kind":"GeneratedSecret","metadata":{"name":"db","namespace":"app"},"data":{"password":{"length":32}}})",
  });
  PrunePlan plan = plan_prune({before}, graph({}), {}, 0);
  EXPECT_TRUE(plan.steps.empty()) << commands(plan)[0];
  ASSERT_EQ(plan.kept.size(), 4u);
  for (const PruneItem& kept : plan.kept) EXPECT_FALSE(kept.kept_because.empty());
}

TEST(Prune, AnotherApiVersionIsTheSameObjectAndNothingIsDeletedTwice) {
  Graph before = graph(
      {R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"app"}})",
       kConfig});
  Graph after = graph(
      {R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"app"}})"});
  PrunePlan plan = plan_prune({before, before}, after, {}, 0);
  EXPECT_EQ(commands(plan),
            (std::vector<std::string>{
                "kubectl delete configmap/cfg -n app --ignore-not-found --wait=false"}));
  EXPECT_TRUE(plan_prune({}, after, {}, 0).steps.empty());
  EXPECT_TRUE(plan_prune({after}, after, {}, 0).steps.empty());
}

}  // namespace
}  // namespace kix
