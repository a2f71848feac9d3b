#include "cluster/drift.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "util/error.h"

namespace kix {
namespace {

Manifest manifest(const std::string& text) {
  return make_manifest(Json::parse(text), SourceLocation{"test.yaml", 1});
}

Manifest deployment(int replicas, const std::string& image) {
  Json value = Json::parse(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"},
    "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"web","image":"x"}]}}}})");
  value["spec"]["replicas"] = replicas;
  value["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return make_manifest(value, SourceLocation{"test.yaml", 1});
}

Json with_server_noise(Json value) {
  value["metadata"]["uid"] = "1234";
  value["metadata"]["resourceVersion"] = "99";
  value["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  value["status"] = {{"replicas", 1}};
  value["spec"]["revisionHistoryLimit"] = 10;
  value["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst";
  return value;
}

TEST(Drift, ServerNoiseIsNotDrift) {
  Manifest want = deployment(3, "web:1");
  Manifest live = make_manifest(with_server_noise(want.value), {});
  DiffReport report = diff_against_live({want}, {live});
  EXPECT_TRUE(report.resources.empty());
  EXPECT_EQ(report.identical, 1u);
  EXPECT_EQ(report.count(DiffStatus::kIdentical), 1u);
  EXPECT_FALSE(report.has_differences());
}

TEST(Drift, ReportsModifiedKixOnlyAndClusterOnly) {
  Manifest want = deployment(3, "web:2");
  Manifest live = make_manifest(with_server_noise(deployment(2, "web:1").value), {});
  Manifest only_kix = manifest(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"app"}})");
  Manifest only_cluster = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"leftover","namespace":"app"}})");
  DiffReport report = diff_against_live({want, only_kix}, {only_cluster, live});
  ASSERT_EQ(report.resources.size(), 3u);
  EXPECT_EQ(report.count(DiffStatus::kModified), 1u);
  EXPECT_EQ(report.count(DiffStatus::kLeftOnly), 1u);
  EXPECT_EQ(report.count(DiffStatus::kRightOnly), 1u);
  const ResourceDiff& modified = report.resources[0];
  EXPECT_EQ(modified.status, DiffStatus::kModified);
  EXPECT_EQ(modified.id.display(), "Deployment/web @ app");
  ASSERT_EQ(modified.changes.size(), 2u);
  EXPECT_EQ(modified.changes[0].path, "$.spec.replicas");
  EXPECT_EQ(*modified.changes[0].before, 3);
  EXPECT_EQ(*modified.changes[0].after, 2);
  EXPECT_EQ(modified.changes[1].path, "$.spec.template.spec.containers[0].image");
  EXPECT_EQ(report.resources[1].id.kind, "Service");
  EXPECT_EQ(report.resources[2].id.kind, "ConfigMap");
}

TEST(Drift, ChangedSecretIsReportedWithoutItsValues) {
  Manifest want =
      manifest(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"},
    "stringData":{"password":"hunter2"}})");
  Manifest live =
      manifest(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"},
    "data":{"password":"b2xkLXZhbHVl"},"type":"Opaque"})");
  DiffReport report = diff_against_live({want}, {live});
  ASSERT_EQ(report.count(DiffStatus::kModified), 1u);
  const auto& changes = report.resources[0].changes;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "$.data.password");
  EXPECT_TRUE(changes[0].secret);
  EXPECT_EQ(*changes[0].before, kRedactedValue);
  EXPECT_EQ(*changes[0].after, kRedactedValue);
}

TEST(Drift, SecretStringDataEqualToLiveDataIsIdentical) {
  Manifest want =
      manifest(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"},
    "stringData":{"password":"hunter2"}})");
  Manifest live =
      manifest(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"},
    "data":{"password":"aHVudGVyMg=="},"type":"Opaque"})");
  EXPECT_FALSE(diff_against_live({want}, {live}).has_differences());
}

TEST(Drift, ResourceWithoutNamespaceMatchesDefault) {
  Manifest want = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}})");
  Manifest live = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default"},"data":{"a":"1"}})");
  EXPECT_FALSE(diff_against_live({want}, {live}).has_differences());
}

TEST(Drift, ObjectsTheClusterCreatesAreNotClusterOnly) {
  Manifest root_ca = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt","namespace":"app"}})");
  Manifest owned =
      manifest(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1",
    "namespace":"app","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]}})");
  Manifest manual = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"manual","namespace":"app"}})");
  DiffReport report = diff_against_live({}, {root_ca, owned, manual});
  ASSERT_EQ(report.resources.size(), 1u);
  EXPECT_EQ(report.resources[0].id.name, "manual");
  EXPECT_TRUE(is_cluster_generated(owned.value));
  EXPECT_TRUE(is_cluster_generated(Json::parse(
      R"({"kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"t"}})")));
  EXPECT_FALSE(is_cluster_generated(manual.value));
}

TEST(Drift, FieldKixNoLongerSetsIsADifference) {
  Manifest want = deployment(3, "web:1");
  Json live = with_server_noise(want.value);
  live["spec"]["minReadySeconds"] = 10;
  live["metadata"]["managedFields"] = Json::parse(
      R"([{"manager":"kix","operation":"Apply","fieldsV1":{"f:spec":{"f:minReadySeconds":{},"f:replicas":{}}}}])");
  DiffReport report = diff_against_live({want}, {make_manifest(live, {})});
  ASSERT_EQ(report.count(DiffStatus::kModified), 1u);
  ASSERT_EQ(report.resources[0].changes.size(), 1u);
  EXPECT_EQ(report.resources[0].changes[0].path, "$.spec.minReadySeconds");
  EXPECT_FALSE(report.resources[0].changes[0].before.has_value());
  EXPECT_EQ(*report.resources[0].changes[0].after, 10);
}

// A Deployment whose container has one env var.
Manifest deployment_with_env() {
  Json value = deployment(3, "web:1").value;
  value["spec"]["template"]["spec"]["containers"][0]["env"] =
      Json::parse(R"([{"name":"A","value":"1"}])");
  return make_manifest(value, SourceLocation{"test.yaml", 1});
}

// `want` as the cluster has it after kix applied it, plus an env var and a
// sidecar container that other managers added (per managedFields when
// `with_owners`).
Json live_with_foreign_elements(const Manifest& want, bool with_owners) {
  Json live = with_server_noise(want.value);
  Json& containers = live["spec"]["template"]["spec"]["containers"];
  containers[0]["env"].push_back(Json::parse(R"({"name":"RESTARTED","value":"1"})"));
  containers.push_back(Json::parse(R"({"name":"log-shipper","image":"fluent-bit:3"})"));
  if (with_owners) {
    live["metadata"]["managedFields"] = Json::parse(R"([
      {"manager":"kix","operation":"Apply","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{
        "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{},
          "f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}},
      {"manager":"kubectl-set","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{
        "f:containers":{"k:{\"name\":\"web\"}":{"f:env":{
          "k:{\"name\":\"RESTARTED\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}},
      {"manager":"kubectl-patch","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{
        "f:containers":{"k:{\"name\":\"log-shipper\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}])");
  }
  return live;
}

TEST(Drift, ElementsAnotherManagerAddedAreListedApartNotDrift) {
  Manifest want = deployment_with_env();
  Manifest live = make_manifest(live_with_foreign_elements(want, true), {});
  DiffReport report = diff_against_live({want}, {live});
  EXPECT_FALSE(report.has_differences());
  EXPECT_EQ(report.identical, 1u);
  ASSERT_EQ(report.foreign_elements.size(), 2u);
  EXPECT_EQ(report.foreign_elements[0].id.display(), "Deployment/web @ app");
  EXPECT_EQ(report.foreign_elements[0].path, "$.spec.template.spec.containers[0].env[1]");
  EXPECT_EQ(report.foreign_elements[0].managers, std::vector<std::string>{"kubectl-set"});
  EXPECT_EQ(report.foreign_elements[1].path, "$.spec.template.spec.containers[1]");
  EXPECT_EQ(report.foreign_elements[1].key, Json::parse(R"({"name":"log-shipper"})"));
}

TEST(Drift, RealChangeNextToForeignElementsIsTheOnlyChange) {
  Manifest want = deployment_with_env();
  Json live = live_with_foreign_elements(want, true);
  live["spec"]["template"]["spec"]["containers"][0]["image"] = "web:0";
  DiffReport report = diff_against_live({want}, {make_manifest(live, {})});
  ASSERT_EQ(report.count(DiffStatus::kModified), 1u);
  ASSERT_EQ(report.resources[0].changes.size(), 1u);
  EXPECT_EQ(report.resources[0].changes[0].path, "$.spec.template.spec.containers[0].image");
  EXPECT_EQ(report.foreign_elements.size(), 2u);
}

TEST(Drift, WithoutManagedFieldsExtraElementsAreDrift) {
  Manifest want = deployment_with_env();
  Json live = live_with_foreign_elements(want, false);
  live["metadata"].erase("managedFields");
  DiffReport report = diff_against_live({want}, {make_manifest(live, {})});
  EXPECT_TRUE(report.foreign_elements.empty());
  ASSERT_EQ(report.count(DiffStatus::kModified), 1u);
  std::vector<std::string> paths;
  for (const FieldChange& c : report.resources[0].changes) paths.push_back(c.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"$.spec.template.spec.containers[0].env[1]",
                                             "$.spec.template.spec.containers[1]"}));
}

TEST(Drift, EmptyValuesTheClusterSpellsNullAreNotDrift) {
  Manifest config = manifest(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"n"},"data":{}})");
  Manifest secret = manifest(R"({"apiVersion":"v1","kind":"Secret",
    "metadata":{"name":"s","namespace":"n"},"data":{"empty":"","unset":null},
    "stringData":{"also-empty":""}})");
  Manifest live_config = manifest(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"n","uid":"u"},"data":null})");
  Manifest live_secret = manifest(R"({"apiVersion":"v1","kind":"Secret",
    "metadata":{"name":"s","namespace":"n","uid":"v"},"type":"Opaque",
    "data":{"empty":null,"unset":"","also-empty":null}})");
  DiffReport report = diff_against_live({config, secret}, {live_config, live_secret});
  EXPECT_FALSE(report.has_differences());
  EXPECT_EQ(report.identical, 2u);
}

TEST(Drift, DuplicateLiveIdentityIsAnError) {
  Manifest a =
      manifest(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}})");
  EXPECT_ERROR_KIND(diff_against_live({}, {a, a}), ErrorKind::kConflict);
}

TEST(Drift, BuildsSeparateContentChangesFromDependencyChanges) {
  auto graph_of = [](const std::string& image) {
    Manifest cm =
        manifest(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"},
      "data":{"image":")" +
                 image + R"("}})");
    Manifest pod = manifest(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{}})");
    return build_graph({cm, pod}, {{}, {0}});
  };
  Graph before = graph_of("a");
  Graph after = graph_of("b");
  DiffReport report = diff_builds(after, before);
  ASSERT_EQ(report.resources.size(), 2u);
  EXPECT_EQ(report.resources[0].status, DiffStatus::kModified);
  EXPECT_EQ(report.resources[0].id.kind, "ConfigMap");
  EXPECT_EQ(report.resources[1].status, DiffStatus::kDependencyChanged);
  EXPECT_EQ(report.resources[1].dependencies, std::vector<std::string>{"ConfigMap/c @ n"});
  EXPECT_FALSE(diff_builds(before, graph_of("a")).has_differences());
}

}  // namespace
}  // namespace kix
