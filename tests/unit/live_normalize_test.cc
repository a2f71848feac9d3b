#include "cluster/live_normalize.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

TEST(LiveNormalize, StripsStatusAndServerSetMetadata) {
  Json live = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"n","uid":"u","resourceVersion":"1","generation":2,
      "creationTimestamp":"2024-01-01T00:00:00Z","selfLink":"/x","managedFields":[{"manager":"kubectl"}],
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","keep":"me"}},
    "data":{"a":"1"},"status":{"phase":"x"}})");
  Json stripped = strip_server_fields(live);
  EXPECT_EQ(stripped, Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"n","annotations":{"keep":"me"}},"data":{"a":"1"}})"));
}

TEST(LiveNormalize, RemovesAnnotationsMapEmptiedByStripping) {
  Json live = Json::parse(R"({"kind":"Deployment","metadata":{"name":"d",
    "annotations":{"deployment.kubernetes.io/revision":"3"}}})");
  EXPECT_FALSE(strip_server_fields(live)["metadata"].contains("annotations"));
}

TEST(LiveNormalize, ProjectionDropsFieldsKixDidNotSet) {
  Json desired =
      Json::parse(R"({"spec":{"ports":[{"name":"http","port":80}],"selector":{"app":"a"}}})");
  Json live =
      Json::parse(R"({"spec":{"clusterIP":"10.0.0.1","clusterIPs":["10.0.0.1"],"type":"ClusterIP",
    "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"a"},
    "sessionAffinity":"None"}})");
  EXPECT_EQ(project_live(desired, live), desired);
}

TEST(LiveNormalize, ProjectionKeepsChangedValuesAndExtraListElements) {
  Json desired =
      Json::parse(R"({"spec":{"replicas":3,"containers":[{"name":"a","image":"x:1"}]}})");
  Json live = Json::parse(
      R"({"spec":{"replicas":2,"containers":[{"name":"a","image":"x:2","imagePullPolicy":"IfNotPresent"},
    {"name":"sidecar","image":"s"}]}})");
  Json projected = project_live(desired, live);
  EXPECT_EQ(projected["spec"]["replicas"], 2);
  EXPECT_EQ(projected["spec"]["containers"][0], Json::parse(R"({"name":"a","image":"x:2"})"));
  EXPECT_EQ(projected["spec"]["containers"][1]["name"], "sidecar");
}

TEST(LiveNormalize, MissingLiveFieldStaysMissingUnlessZeroValue) {
  Json desired =
      Json::parse(R"({"spec":{"hostNetwork":false,"paused":true,"tolerations":[],"x":{}}})");
  Json live = Json::parse(R"({"spec":{}})");
  EXPECT_EQ(project_live(desired, live),
            Json::parse(R"({"spec":{"hostNetwork":false,"tolerations":[],"x":{}}})"));
}

TEST(LiveNormalize, NullWhereKixWritesAnEmptyValueIsNotDrift) {
  Json desired = Json::parse(R"({"data":{},"spec":{"volumes":[],"x":"","paused":false,"n":0}})");
  Json live =
      Json::parse(R"({"data":null,"spec":{"volumes":null,"x":null,"paused":null,"n":null}})");
  EXPECT_EQ(project_live(desired, live), desired);
  // A null where kix writes a value is still a difference.
  Json full = Json::parse(R"({"data":{"a":"1"},"spec":{"x":"y"}})");
  EXPECT_EQ(project_live(full, live), Json::parse(R"({"data":null,"spec":{"x":null}})"));
}

TEST(LiveNormalize, EmptySecretValueEqualsNullEitherWay) {
  Json desired = desired_as_stored(
      Json::parse(R"({"kind":"Secret","data":{"a":null,"b":""},"stringData":{"c":"","d":null}})"));
  EXPECT_EQ(desired["data"], Json::parse(R"({"a":null,"b":"","c":"","d":""})"));
  Json live = Json::parse(R"({"kind":"Secret","data":{"a":"","b":null,"c":null,"d":""}})");
  EXPECT_EQ(project_live(desired, live), desired);
}

TEST(LiveNormalize, EqualQuantitiesInResourceMapsAreNotDrift) {
  Json desired = Json::parse(
      R"({"resources":{"requests":{"cpu":"1000m","memory":"1Gi"},"limits":{"cpu":1}}})");
  Json live = Json::parse(
      R"({"resources":{"requests":{"cpu":"1","memory":"1024Mi"},"limits":{"cpu":"1"}}})");
  EXPECT_EQ(project_live(desired, live), desired);
  Json changed =
      Json::parse(R"({"resources":{"requests":{"cpu":"2","memory":"1Gi"},"limits":{"cpu":"1"}}})");
  EXPECT_EQ(project_live(desired, changed)["resources"]["requests"]["cpu"], "2");
}

TEST(LiveNormalize, QuantityEqualityOnlyInQuantityFields) {
  Json desired = Json::parse(R"({"env":[{"name":"A","value":"1"}]})");
  Json live = Json::parse(R"({"env":[{"name":"A","value":"1.0"}]})");
  EXPECT_EQ(project_live(desired, live)["env"][0]["value"], "1.0");
}

TEST(LiveNormalize, SameQuantity) {
  EXPECT_TRUE(same_quantity("500m", "0.5"));
  EXPECT_TRUE(same_quantity("1Ki", 1024));
  EXPECT_TRUE(same_quantity("1e3", "1k"));
  EXPECT_FALSE(same_quantity("1G", "1Gi"));
  EXPECT_FALSE(same_quantity("abc", "abc"));
}

TEST(LiveNormalize, MalformedQuantityExponentIsNotAQuantityRatherThanACrash) {
  EXPECT_FALSE(same_quantity("1e+-", "1e+-"));
  EXPECT_FALSE(same_quantity("1e999", "2e999"));
  Json desired = Json::parse(R"({"resources":{"limits":{"cpu":"1e+-"}}})");
  Json live = Json::parse(R"({"resources":{"limits":{"cpu":"1"}}})");
  EXPECT_EQ(project_live(desired, live)["resources"]["limits"]["cpu"], "1");
}

TEST(LiveNormalize, SecretStringDataIsComparedAsBase64Data) {
  Json desired =
      Json::parse(R"({"kind":"Secret","data":{"a":"eA=="},"stringData":{"b":"hello","a":"yz"}})");
  Json stored = desired_as_stored(desired);
  EXPECT_EQ(stored, Json::parse(R"({"kind":"Secret","data":{"a":"eXo=","b":"aGVsbG8="}})"));
  Json config = Json::parse(R"({"kind":"ConfigMap","stringData":{"b":"x"}})");
  EXPECT_EQ(desired_as_stored(config), config);
}

TEST(LiveNormalize, AppliedFieldsMergesTheManagersApplyEntries) {
  Json live = Json::parse(R"({"metadata":{"managedFields":[
    {"manager":"kix","operation":"Apply","fieldsV1":{"f:spec":{"f:replicas":{}}}},
    {"manager":"kix","operation":"Apply","fieldsV1":{"f:spec":{"f:paused":{}}}},
    {"manager":"kubectl-edit","operation":"Update","fieldsV1":{"f:spec":{"f:minReadySeconds":{}}}}]}})");
  EXPECT_EQ(applied_fields(live, "kix"),
            Json::parse(R"({"f:spec":{"f:replicas":{},"f:paused":{}}})"));
  EXPECT_EQ(applied_fields(live, "other"), Json::object());
}

TEST(LiveNormalize, FieldsKixAppliedButNoLongerSetsAreKept) {
  Json desired = Json::parse(R"({"metadata":{"labels":{"a":"1"}},"spec":{"replicas":2}})");
  Json live = Json::parse(R"({"metadata":{"labels":{"a":"1","old":"x","other":"y"}},
    "spec":{"replicas":2,"paused":true,"minReadySeconds":5}})");
  Json owned = Json::parse(R"({"f:metadata":{"f:labels":{"f:a":{},"f:old":{}}},
    "f:spec":{"f:replicas":{},"f:paused":{}}})");
  Json projected = project_live(desired, live);
  add_dropped_fields(projected, desired, live, owned);
  EXPECT_EQ(
      projected,
      Json::parse(
          R"({"metadata":{"labels":{"a":"1","old":"x"}},"spec":{"replicas":2,"paused":true}})"));
}

}  // namespace
}  // namespace kix
