#include "compiler/schema_validator.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace kix {
namespace {

const SchemaValidator& validator() {
  static const SchemaValidator instance(std::filesystem::path(KIX_SOURCE_DIR) / "schema");
  return instance;
}

Json deployment() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "app", "labels": {"app.kubernetes.io/name": "web"}},
    "spec": {
      "replicas": 2,
      "selector": {"matchLabels": {"app": "web"}},
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
          "containers": [{
            "name": "web", "image": "nginx:1.27",
            "ports": [{"containerPort": 80, "name": "http"}],
            "env": [{"name": "A", "value": "1"},
                    {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1}},
            "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}
          }],
          "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
        }
      }
    }
  })");
}

std::vector<SchemaViolation> check(const Json& manifest, bool* known = nullptr) {
  return validator().validate(manifest, known);
}

std::string describe(const std::vector<SchemaViolation>& violations) {
  std::string out;
  for (const auto& v : violations) out += v.pointer + ": " + v.message + "\n";
  return out;
}

TEST(SchemaValidator, ValidDeploymentPasses) {
  bool known = false;
  auto violations = check(deployment(), &known);
  EXPECT_TRUE(known);
  EXPECT_TRUE(violations.empty()) << describe(violations);
}

TEST(SchemaValidator, MisspelledFieldIsReportedWithItsPointerAndASuggestion) {
  Json manifest = deployment();
  auto& container = manifest["spec"]["template"]["spec"]["containers"][0];
  container["imagePullPolicyy"] = "Always";
  auto violations = check(manifest);
  ASSERT_EQ(violations.size(), 1u) << describe(violations);
  EXPECT_EQ(violations[0].pointer, "/spec/template/spec/containers/0/imagePullPolicyy");
  EXPECT_NE(violations[0].message.find("unknown field \"imagePullPolicyy\""), std::string::npos);
  EXPECT_NE(violations[0].message.find("did you mean \"imagePullPolicy\""), std::string::npos);
}

TEST(SchemaValidator, WrongTypeAndMissingRequiredFieldAreReported) {
  Json manifest = deployment();
  manifest["spec"]["replicas"] = "two";
  manifest["spec"]["template"]["spec"]["containers"][0].erase("name");
  auto violations = check(manifest);
  ASSERT_EQ(violations.size(), 2u) << describe(violations);
  EXPECT_EQ(violations[0].pointer, "/spec/replicas");
  EXPECT_EQ(violations[0].message, "expected integer, got string");
  EXPECT_EQ(violations[1].pointer, "/spec/template/spec/containers/0");
  EXPECT_EQ(violations[1].message, "missing required field \"name\"");
}

TEST(SchemaValidator, IntOrStringAndQuantityAcceptBothForms) {
  Json manifest = deployment();
  manifest["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = 1;
  manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] =
      1073741824;
  EXPECT_TRUE(check(manifest).empty()) << describe(check(manifest));
  manifest["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = true;
  auto violations = check(manifest);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].pointer, "/spec/strategy/rollingUpdate/maxSurge");
}

TEST(SchemaValidator, NullMeansUnset) {
  Json manifest = deployment();
  manifest["metadata"]["annotations"] = nullptr;
  EXPECT_TRUE(check(manifest).empty());
}

TEST(SchemaValidator, ValidServicePvcConfigMapAndSecretPass) {
  for (const char* text : {
           R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
               "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":"http","protocol":"TCP"}]}})",
           R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},
               "spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"fast",
                       "resources":{"requests":{"storage":"200Gi"}}}})",
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}})",
           R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"Opaque",
               "data":{"k":"cGFzcw=="},"stringData":{"p":"plain"}})",
           R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"immich"}})",
       }) {
    bool known = false;
    auto violations = check(Json::parse(text), &known);
    EXPECT_TRUE(known) << text;
    EXPECT_TRUE(violations.empty()) << text << "\n" << describe(violations);
  }
}

TEST(SchemaValidator, SecretDataMustBeBase64) {
  auto violations = check(Json::parse(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"not base64!"}})"));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].pointer, "/data/k");
}

TEST(SchemaValidator, CloudNativePgClusterIsValidatedFromItsCrd) {
  Json cluster = Json::parse(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "immich-db", "namespace": "immich"},
    "spec": {
      "instances": 1,
      "imageName": "ghcr.io/tensorchord/cloudnative-vectorchord:16.9-0.4.3",
      "postgresql": {"shared_preload_libraries": ["vchord.so"]},
      "bootstrap": {"initdb": {"database": "immich", "owner": "immich",
                               "postInitSQL": ["CREATE EXTENSION vchord CASCADE;"]}},
      "storage": {"size": "8Gi", "storageClass": "fast"},
      "resources": {"requests": {"memory": "512Mi"}}
    }
  })");
  bool known = false;
  auto violations = check(cluster, &known);
  EXPECT_TRUE(known);
  EXPECT_TRUE(violations.empty()) << describe(violations);

  cluster["spec"]["storage"]["sise"] = "8Gi";
  cluster["metadata"]["labelz"] = Json::object();
  violations = check(cluster);
  ASSERT_EQ(violations.size(), 2u) << describe(violations);
  EXPECT_EQ(violations[0].pointer, "/metadata/labelz");
  EXPECT_EQ(violations[1].pointer, "/spec/storage/sise");
}

TEST(SchemaValidator, StackGresClusterUsesTheMinimalSchema) {
  Json cluster = Json::parse(R"({
    "apiVersion": "stackgres.io/v1", "kind": "SGCluster", "metadata": {"name": "immich-db"},
    "spec": {"instances": 1, "postgres": {"version": "16",
              "extensions": [{"name": "vectors", "publisher": "tensorchord", "version": "0.4.0"}]},
             "pods": {"persistentVolume": {"size": "10Gi"}}}
  })");
  bool known = false;
  EXPECT_TRUE(check(cluster, &known).empty());
  EXPECT_TRUE(known);
  cluster["spec"]["postgres"]["extensions"][0].erase("name");
  auto violations = check(cluster);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].pointer, "/spec/postgres/extensions/0");
}

TEST(SchemaValidator, UnknownKindSaysSchemaUnknown) {
  bool known = true;
  auto violations = check(
      Json::parse(
          R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"x":1}})"),
      &known);
  EXPECT_FALSE(known);
  EXPECT_TRUE(violations.empty());
  EXPECT_FALSE(validator().knows("example.com/v1", "Widget"));
  EXPECT_TRUE(validator().knows("apps/v1", "Deployment"));
}

TEST(SchemaValidator, MissingSchemaDirectoryIsANotFoundError) {
  SchemaValidator missing("/nonexistent/kix/schema");
  try {
    missing.validate(deployment());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

TEST(SchemaValidator, ValidatesAThousandResources) {
  Json manifest = deployment();
  size_t total = 0;
  for (int i = 0; i < 1000; ++i) total += check(manifest).size();
  EXPECT_EQ(total, 0u);
}

}  // namespace
}  // namespace kix
