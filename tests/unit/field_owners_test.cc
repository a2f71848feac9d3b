#include "cluster/field_owners.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

// A Deployment's pod template as kix applies it: one container with one
// env var and one port.
Json desired() {
  return Json::parse(R"({"spec":{"template":{"spec":{
    "containers":[{"name":"server","image":"x:1","env":[{"name":"A","value":"1"}],
      "ports":[{"name":"http","containerPort":2283}]}]}}}})");
}

// kix owns its container, env var and port; `extra` is appended to the
// managedFields entries.
Json managed_fields(const Json& extra) {
  Json entries = Json::parse(R"([{"manager":"kix","operation":"Apply","fieldsV1":{"f:spec":{
    "f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"server\"}":{".":{},"f:image":{},"f:name":{},
      "f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},
      "f:ports":{"k:{\"containerPort\":2283,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},
        "f:name":{}}}}}}}}}}])");
  for (const Json& e : extra) entries.push_back(e);
  return entries;
}

Json live_with(const Json& entries, const Json& containers) {
  Json live = {{"metadata", {{"name", "web"}, {"managedFields", entries}}},
               {"spec", {{"template", {{"spec", {{"containers", containers}}}}}}}};
  return live;
}

TEST(FieldOwners, ElementsAnotherManagerAddedAreTakenOut) {
  Json entries = managed_fields(Json::parse(R"([
    {"manager":"kubectl-set","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{
      "f:containers":{"k:{\"name\":\"server\"}":{"f:env":{"k:{\"name\":\"B\"}":{".":{},"f:name":{},
        "f:value":{}}}}}}}}}},
    {"manager":"kubectl-patch","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{
      "f:containers":{"k:{\"name\":\"sidecar\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}])"));
  Json containers = Json::parse(R"([
    {"name":"server","image":"x:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
     "ports":[{"name":"http","containerPort":2283,"protocol":"TCP"}]},
    {"name":"sidecar","image":"s:1"}])");
  Json raw = live_with(entries, containers);
  Json live = raw;
  live["metadata"].erase("managedFields");
  std::vector<ForeignElement> found = take_foreign_elements(desired(), live, raw, "kix");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].path, "$.spec.template.spec.containers[0].env[1]");
  EXPECT_EQ(found[0].key, Json::parse(R"({"name":"B"})"));
  EXPECT_EQ(found[0].managers, std::vector<std::string>{"kubectl-set"});
  EXPECT_EQ(found[1].path, "$.spec.template.spec.containers[1]");
  EXPECT_EQ(found[1].key, Json::parse(R"({"name":"sidecar"})"));
  EXPECT_EQ(found[1].managers, std::vector<std::string>{"kubectl-patch"});
  const Json& left = live["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["env"], Json::parse(R"([{"name":"A","value":"1"}])"));
}

TEST(FieldOwners, WithoutManagedFieldsNothingIsTakenOut) {
  Json containers = Json::parse(R"([{"name":"server","image":"x:1"},{"name":"sidecar"}])");
  Json live = live_with(Json::array(), containers);
  live["metadata"].erase("managedFields");
  Json before = live;
  EXPECT_TRUE(take_foreign_elements(desired(), live, live, "kix").empty());
  EXPECT_EQ(live, before);
}

TEST(FieldOwners, ElementNoManagerNamesStays) {
  // Only kix has entries: an extra element no one's record names is drift.
  Json containers = Json::parse(R"([{"name":"server","image":"x:1"},{"name":"sidecar"}])");
  Json raw = live_with(managed_fields(Json::array()), containers);
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(desired(), live, raw, "kix").empty());
  EXPECT_EQ(live["spec"]["template"]["spec"]["containers"].size(), 2u);
}

TEST(FieldOwners, ElementKixWantsIsNotForeignEvenWhenAnotherManagerOwnsIt) {
  // Created by another tool, kix not applied yet: its containers are kix's.
  Json entries = Json::parse(R"([{"manager":"kubectl-client-side-apply","operation":"Update",
    "fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{
      "k:{\"name\":\"server\"}":{".":{},"f:image":{},"f:name":{},
        "f:ports":{"k:{\"containerPort\":2283,\"protocol\":\"TCP\"}":{".":{}}}}}}}}}}])");
  Json containers = Json::parse(R"([{"name":"server","image":"x:2",
    "ports":[{"name":"http","containerPort":2283,"protocol":"TCP"}]}])");
  Json raw = live_with(entries, containers);
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(desired(), live, raw, "kix").empty());
  EXPECT_EQ(live, raw);
}

TEST(FieldOwners, ElementOwnedByKixAndAnotherManagerStays) {
  Json entries = managed_fields(Json::parse(R"([{"manager":"kube-controller-manager",
    "operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{
      "k:{\"name\":\"server\"}":{"f:env":{"k:{\"name\":\"A\"}":{".":{}}}}}}}}}}])"));
  Json containers =
      Json::parse(R"([{"name":"server","image":"x:1","env":[{"name":"A","value":"1"}]}])");
  Json raw = live_with(entries, containers);
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(desired(), live, raw, "kix").empty());
}

TEST(FieldOwners, KeysOtherThanNameAndSets) {
  // A Service port keyed by port and protocol, and a finalizer (a set) in
  // a list kix sets.
  Json want = Json::parse(
      R"({"metadata":{"finalizers":["a"]},"spec":{"ports":[{"name":"http","port":80}]}})");
  Json raw = Json::parse(R"({"metadata":{"finalizers":["a","b"],"managedFields":[
    {"manager":"kix","operation":"Apply","fieldsV1":{"f:metadata":{"f:finalizers":{"v:\"a\"":{}}},
      "f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{}}}}}},
    {"manager":"kubectl-patch","operation":"Update","fieldsV1":{
      "f:metadata":{"f:finalizers":{"v:\"b\"":{}}},
      "f:spec":{"f:ports":{"k:{\"port\":9090,\"protocol\":\"TCP\"}":{".":{}}}}}}]},
    "spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},
                     {"name":"metrics","port":9090,"protocol":"TCP"}]}})");
  Json live = raw;
  std::vector<ForeignElement> found = take_foreign_elements(want, live, raw, "kix");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].path, "$.metadata.finalizers[1]");
  EXPECT_EQ(found[0].key, "b");
  EXPECT_EQ(found[1].path, "$.spec.ports[1]");
  EXPECT_EQ(found[1].key, Json::parse(R"({"port":9090,"protocol":"TCP"})"));
  EXPECT_EQ(live["spec"]["ports"].size(), 1u);
  EXPECT_EQ(live["metadata"]["finalizers"], Json::parse(R"(["a"])"));
}

TEST(FieldOwners, DesiredPortWithoutProtocolMatchesTheDefault) {
  // kix added this port to its build and has not applied it yet: it is a
  // difference to show, not another manager's element.
  Json want = Json::parse(R"({"spec":{"ports":[{"name":"metrics","port":9090}]}})");
  Json raw = Json::parse(R"({"metadata":{"managedFields":[
    {"manager":"kubectl-patch","operation":"Update","fieldsV1":{
      "f:spec":{"f:ports":{"k:{\"port\":9090,\"protocol\":\"TCP\"}":{".":{}}}}}}]},
    "spec":{"ports":[{"name":"metrics","port":9090,"protocol":"TCP"}]}})");
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(want, live, raw, "kix").empty());
}

TEST(FieldOwners, ListsKixNeitherSetsNorOwnsAreLeftAlone) {
  // A ServiceAccount's token Secrets: kix does not set `secrets`.
  Json want = Json::parse(R"({"metadata":{"name":"sa"},"automountServiceAccountToken":false})");
  Json raw = Json::parse(R"({"metadata":{"name":"sa","managedFields":[
    {"manager":"kube-controller-manager","operation":"Update","fieldsV1":{
      "f:secrets":{".":{},"k:{\"name\":\"sa-token-x\"}":{}}}}]},
    "automountServiceAccountToken":false,"secrets":[{"name":"sa-token-x"}]})");
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(want, live, raw, "kix").empty());
  EXPECT_EQ(live, raw);
}

TEST(FieldOwners, UnreadableTokensAreIgnored) {
  Json want = Json::parse(R"({"spec":{"ports":[]}})");
  Json raw = Json::parse(R"({"metadata":{"managedFields":[
    {"manager":"other","operation":"Update","fieldsV1":{"f:spec":{"f:ports":{"k:{not json":{},
      "k:[1]":{},"x:1":{}}}}}]},"spec":{"ports":[{"port":1}]}})");
  Json live = raw;
  EXPECT_TRUE(take_foreign_elements(want, live, raw, "kix").empty());
}

}  // namespace
}  // namespace kix
