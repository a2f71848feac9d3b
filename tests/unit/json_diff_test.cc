#include "manifest/json_diff.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

Json deployment(int replicas, const std::string& image) {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"coredns","namespace":"kube-system","labels":{"app.kubernetes.io/name":"coredns"}},
    "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"coredns","image":"x"}]}}}})")
      .patch(Json::array({{{"op", "replace"}, {"path", "/spec/replicas"}, {"value", replicas}},
                          {{"op", "replace"},
                           {"path", "/spec/template/spec/containers/0/image"},
                           {"value", image}}}));
}

TEST(JsonDiff, IdenticalManifestsHaveNoChanges) {
  EXPECT_TRUE(diff_manifests(deployment(3, "a"), deployment(3, "a")).empty());
}

TEST(JsonDiff, ReportsChangedLeavesWithPathsAndBothValues) {
  auto changes = diff_manifests(deployment(3, "coredns:1.12.3"), deployment(2, "coredns:1.11.1"));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "$.spec.replicas");
  EXPECT_EQ(*changes[0].before, 3);
  EXPECT_EQ(*changes[0].after, 2);
  EXPECT_EQ(changes[1].path, "$.spec.template.spec.containers[0].image");
  EXPECT_EQ(*changes[1].before, "coredns:1.12.3");
  EXPECT_EQ(*changes[1].after, "coredns:1.11.1");
  EXPECT_FALSE(changes[0].secret);
}

TEST(JsonDiff, QuotesKeysThatAreNotIdentifiers) {
  Json before = deployment(1, "a");
  Json after = before;
  after["metadata"]["labels"]["app.kubernetes.io/name"] = "other";
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "$.metadata.labels['app.kubernetes.io/name']");
}

TEST(JsonDiff, AbsentFieldsHaveNoValueOnThatSide) {
  Json before = Json::parse(R"({"a":{"b":1}})");
  Json after = Json::parse(R"({"a":{"c":2}})");
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "$.a.b");
  EXPECT_EQ(*changes[0].before, 1);
  EXPECT_FALSE(changes[0].after.has_value());
  EXPECT_EQ(changes[1].path, "$.a.c");
  EXPECT_FALSE(changes[1].before.has_value());
  EXPECT_EQ(*changes[1].after, 2);
}

TEST(JsonDiff, TypeChangeIsOneChangeOfTheWholeSubtree) {
  auto changes = diff_manifests(Json::parse(R"({"a":{"b":1}})"), Json::parse(R"({"a":[1]})"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "$.a");
}

TEST(JsonDiff, MatchesNamedListElementsByName) {
  Json before = Json::parse(R"({"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]})");
  Json after = Json::parse(
      R"({"env":[{"name":"NEW","value":"0"},{"name":"A","value":"1"},{"name":"B","value":"3"}]})");
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "$.env[0]");
  EXPECT_FALSE(changes[0].before.has_value());
  EXPECT_EQ(changes[1].path, "$.env[2].value");
  EXPECT_EQ(*changes[1].before, "2");
  EXPECT_EQ(*changes[1].after, "3");
}

TEST(JsonDiff, RemovedNamedElementUsesItsFormerIndex) {
  Json before = Json::parse(R"({"ports":[{"name":"http","port":80},{"name":"grpc","port":90}]})");
  Json after = Json::parse(R"({"ports":[{"name":"grpc","port":90}]})");
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "$.ports[0]");
  EXPECT_FALSE(changes[0].after.has_value());
}

TEST(JsonDiff, UnnamedListsCompareByIndex) {
  auto changes = diff_manifests(Json::parse(R"({"args":["a","b"]})"),
                                Json::parse(R"({"args":["a","c","d"]})"));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "$.args[1]");
  EXPECT_EQ(changes[1].path, "$.args[2]");
  EXPECT_FALSE(changes[1].before.has_value());
}

TEST(JsonDiff, IntegerAndEqualFloatAreEqual) {
  EXPECT_TRUE(diff_manifests(Json::parse(R"({"a":1})"), Json::parse(R"({"a":1.0})")).empty());
}

TEST(JsonDiff, MarksSecretDataChangesAndRedactionHidesValues) {
  Json before = Json::parse(
      R"({"kind":"Secret","metadata":{"name":"s","labels":{"a":"1"}},"data":{"password":"b2xk"}})");
  Json after = Json::parse(
      R"({"kind":"Secret","metadata":{"name":"s","labels":{"a":"2"}},"data":{"password":"bmV3"},
    "stringData":{"token":"plain"}})");
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].path, "$.data.password");
  EXPECT_TRUE(changes[0].secret);
  EXPECT_FALSE(changes[1].secret);  // metadata is not secret
  EXPECT_EQ(changes[2].path, "$.stringData");
  EXPECT_TRUE(changes[2].secret);
  redact_secret_values(changes);
  for (const auto& change : changes) {
    if (!change.secret) continue;
    std::string dumped =
        (change.before ? change.before->dump() : "") + (change.after ? change.after->dump() : "");
    EXPECT_EQ(dumped.find("b2xk"), std::string::npos);
    EXPECT_EQ(dumped.find("bmV3"), std::string::npos);
    EXPECT_EQ(dumped.find("plain"), std::string::npos);
  }
  EXPECT_FALSE(changes[2].before.has_value());
  EXPECT_TRUE(changes[2].after.has_value());
}

TEST(JsonDiff, DataOfAConfigMapIsNotSecret) {
  auto changes = diff_manifests(Json::parse(R"({"kind":"ConfigMap","data":{"a":"1"}})"),
                                Json::parse(R"({"kind":"ConfigMap","data":{"a":"2"}})"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].secret);
}

TEST(JsonDiff, JsonPathFromTokens) {
  EXPECT_EQ(json_path({}), "$");
  EXPECT_EQ(json_path({"spec", "template", "spec", "containers", "0", "image"}),
            "$.spec.template.spec.containers[0].image");
  EXPECT_EQ(json_path({"metadata", "annotations", "it's"}), "$.metadata.annotations['it\\'s']");
  EXPECT_EQ(json_path({"a-b", "_x1"}), "$['a-b']._x1");
}

// The one secrets policy (manifest/secrets.h) decides for every diff.
TEST(SecretsPolicy, AnySecretKindAndEveryValueFieldAreHidden) {
  for (const char* api : {"v1", "example.com/v1"}) {
    Json before = Json::parse(R"({"kind":"Secret","metadata":{"name":"s"}})");
    before["apiVersion"] = api;
    Json after = before;
    after["data"] = {{"password", "aHVudGVyMg=="}};
    after["stringData"] = {{"token", "hunter2"}};
    EXPECT_TRUE(is_secret(after));
    std::vector<FieldChange> changes = diff_manifests(before, after);
    ASSERT_FALSE(changes.empty());
    for (FieldChange& c : changes) EXPECT_TRUE(c.secret) << api << " " << c.path;
    redact_secret_values(changes);
    for (const FieldChange& c : changes) {
      EXPECT_EQ(c.after->dump().find("hunter2"), std::string::npos);
      EXPECT_EQ(c.after->dump().find("aHVudGVyMg"), std::string::npos);
    }
    Json shown = redact_secret_values(after);
    EXPECT_EQ(shown["stringData"]["token"], kRedacted);
    EXPECT_EQ(shown["data"]["password"], kRedacted);
  }
  EXPECT_FALSE(is_secret(Json::parse(R"({"kind":"ConfigMap","data":{"a":"b"}})")));
}

// kubectl's client-side apply copies the whole Secret, values included, into
// an annotation: it is one of the Secret's values.
TEST(SecretsPolicy, TheLastAppliedAnnotationOfASecretIsAValue) {
  const std::string la = kLastAppliedAnnotation;
  Json before = Json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}})");
  Json after = before;
  after["metadata"]["annotations"] = {{la, R"({"data":{"password":"aHVudGVyMg=="}})"},
                                      {"team", "db"}};
  auto changes = diff_manifests(before, after);
  ASSERT_EQ(changes.size(), 1u);  // the whole annotations map appeared
  EXPECT_TRUE(changes[0].secret);
  Json later = after;
  later["metadata"]["annotations"][la] = R"({"data":{"password":"c2VjcmV0"}})";
  later["metadata"]["annotations"]["team"] = "web";
  changes = diff_manifests(after, later);
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& c : changes) {
    EXPECT_EQ(c.secret, c.path.find("last-applied") != std::string::npos) << c.path;
  }
  Json shown = redact_secret_values(later);
  EXPECT_EQ(shown["metadata"]["annotations"][la], kRedacted);
  EXPECT_EQ(shown["metadata"]["annotations"]["team"], "web");
  EXPECT_TRUE(touches_secret_value({}));
  EXPECT_TRUE(touches_secret_value({"metadata"}));
  EXPECT_FALSE(touches_secret_value({"metadata", "labels"}));
  EXPECT_FALSE(is_secret_value_field("metadata"));
}

}  // namespace
}  // namespace kix
