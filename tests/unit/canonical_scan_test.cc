#include "manifest/canonical_scan.h"

#include <gtest/gtest.h>

#include "manifest/canonical_json.h"
#include "tests/unit/json_test_support.h"

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

TEST(CanonicalParse, ReadsCanonicalBytesAsTheParserDoes) {
  const std::string bytes = canonical_of(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "é": "日本", "😀": 1, "ﬁ": 2}},
    "spec": {"replicas": 3, "paused": false, "x": null, "list": [[], {}, [1, -2, 0.5, 1e21]],
             "args": ["a\"b", "c\\d", "tab\there", "\u0001", "\u001f", "line\nbreak", "\b\f\r"]}})");
  const auto value = parse_canonical_json(bytes);
  ASSERT_TRUE(value);
  const Json parsed = Json::parse(bytes);
  EXPECT_TRUE(testing::same_json(*value, parsed));
  // nlohmann's types: unsigned unless negative, a double for a fraction.
  EXPECT_TRUE((*value)["spec"]["replicas"].is_number_unsigned());
  EXPECT_TRUE((*value)["spec"]["list"][2][1].is_number_integer() &&
              !(*value)["spec"]["list"][2][1].is_number_unsigned());
  EXPECT_TRUE((*value)["spec"]["list"][2][2].is_number_float());
  EXPECT_TRUE((*value)["spec"]["list"][2][3].is_number_float());
  EXPECT_EQ((*value)["spec"]["args"][3], std::string("\x01"));
  EXPECT_EQ((*value)["spec"]["args"][6], std::string("\b\f\r"));
  // UTF-16 order puts 😀 before ﬁ; the value holds them as the parser does.
  EXPECT_EQ((*value)["metadata"]["labels"].dump(), parsed["metadata"]["labels"].dump());
}

TEST(CanonicalParse, LeavesToTheParserWhatItCannotShow) {
  EXPECT_TRUE(parse_canonical_json(R"({"a":[1,{}]})"));
  for (const char* text :
       {R"({"a":[1,{}]} )", R"({"b":1,"a":2})", R"({"a":1,"a":2})", R"({"a": 1})", R"({"a":01})",
        R"({"a":-0})", R"({"a":9007199254740993})", R"({"a":1e400})", R"({"a":1.})",
        R"({"a":"\/"})", R"({"a":"\u0041"})", R"({"a\"":1})", "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc3\"}", R"({"a":tru)", R"([1,])", ""}) {
    EXPECT_FALSE(parse_canonical_json(text)) << text;
  }
  // Nesting deeper than the scan goes is the parser's.
  EXPECT_FALSE(parse_canonical_json(std::string(300, '[') + std::string(300, ']')));
  EXPECT_TRUE(parse_canonical_json(std::string(200, '[') + std::string(200, ']')));
}

}  // namespace
}  // namespace kix
