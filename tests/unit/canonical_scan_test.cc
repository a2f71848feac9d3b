#include "manifest/canonical_scan.h"

#include <gtest/gtest.h>

#include "manifest/canonical_json.h"

namespace kix {
namespace {

std::string canonical_of(const char* json) {
  return canonical_json(Json::parse(json));
}

TEST(CanonicalScan, ReadsTheIdentityOfOrdinaryManifests) {
  const std::string deployment = canonical_of(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web", "é": "日本"}},
    "spec": {"replicas": 3, "paused": false, "x": null, "list": [[], {}, [1, -2]],
             "template": {"spec": {"containers": [{"name": "web", "image": "nginx",
               "args": ["a\"b", "c\\d", "tab\there", "\u0001", "line\nbreak", "😀"]}]}}}})");
  EXPECT_EQ(canonical_manifest_identity(deployment),
            (ResourceId{"apps/v1", "Deployment", "prod", "web"}));
  EXPECT_EQ(canonical_manifest_identity(canonical_of(
                R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{}})")),
            (ResourceId{"v1", "ConfigMap", "", "c"}));
  // The largest integers canonical JSON writes.
  EXPECT_TRUE(canonical_manifest_identity(
      R"({"a":[9007199254740992,-9007199254740992,0],"apiVersion":"v1","kind":"K","metadata":{"name":"n"}})"));
}

TEST(CanonicalScan, LeavesToTheParserWhatItCannotShow) {
  const std::string base = R"("apiVersion":"v1","kind":"K","metadata":{"name":"n"})";
  auto with = [&](const std::string& member) {
    return canonical_manifest_identity("{" + member + "," + base + "}");
  };
  ASSERT_TRUE(canonical_manifest_identity("{" + base + "}"));
  // Not canonical, or not JSON: the parser says which.
  EXPECT_FALSE(canonical_manifest_identity("{" + base + "} "));
  EXPECT_FALSE(
      canonical_manifest_identity(R"({"kind":"K","apiVersion":"v1","metadata":{"name":"n"}})"));
  EXPECT_FALSE(with(R"("a":1,"a":2)"));
  EXPECT_FALSE(with(R"("a": 1)"));
  EXPECT_FALSE(with(R"("a":01)"));
  EXPECT_FALSE(with(R"("a":-0)"));
  EXPECT_FALSE(with(R"("a":9007199254740993)"));
  EXPECT_FALSE(with(R"("a":"\/")"));
  EXPECT_FALSE(with(R"("a":"\u0041")"));
  EXPECT_FALSE(with(R"("a":"\u000a")"));
  EXPECT_FALSE(with(R"("a":"\u001F")"));
  EXPECT_FALSE(with("\"a\":\"\x01\""));
  EXPECT_FALSE(with("\"a\":\"\xc3\""));          // a truncated sequence
  EXPECT_FALSE(with("\"a\":\"\xc0\xaf\""));      // overlong
  EXPECT_FALSE(with("\"a\":\"\xed\xa0\x80\""));  // a surrogate
  EXPECT_FALSE(with(R"("a":tru)"));
  EXPECT_FALSE(with(R"("a":[1,])"));
  // Canonical, but left to the parser: a float's shortest form, a key with
  // an escape.
  EXPECT_FALSE(with(R"("a":0.5)"));
  EXPECT_FALSE(with(R"("a\"":1)"));
  // Not a manifest the scan vouches for.
  EXPECT_FALSE(canonical_manifest_identity(R"({"apiVersion":"v1","kind":"K"})"));
  EXPECT_FALSE(
      canonical_manifest_identity(R"({"apiVersion":"v1","kind":"K","metadata":{"name":""}})"));
  EXPECT_FALSE(canonical_manifest_identity(
      R"({"apiVersion":"v1","kind":"K","metadata":{"name":"n","namespace":7}})"));
  EXPECT_FALSE(canonical_manifest_identity(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"n"}})"));
  EXPECT_FALSE(
      canonical_manifest_identity(R"({"apiVersion":"v1","kind":"K","metadata":{"name":"a\"b"}})"));
  EXPECT_FALSE(canonical_manifest_identity("[]"));
  EXPECT_FALSE(canonical_manifest_identity(""));
  // Nesting deeper than the scan goes.
  std::string deep = "{" + base + ",\"z\":";
  for (size_t i = 0; i < kMaxScanDepth + 2; ++i) deep += "[";
  for (size_t i = 0; i < kMaxScanDepth + 2; ++i) deep += "]";
  EXPECT_FALSE(canonical_manifest_identity(deep + "}"));
}

}  // namespace
}  // namespace kix
