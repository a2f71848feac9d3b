#include "manifest/yaml_writer.h"

#include <gtest/gtest.h>

#include "manifest/document.h"
#include "manifest/secrets.h"

namespace kix {
namespace {

Json read_back(const std::string& yaml) {
  Diagnostics diags;
  auto docs = parse_yaml(yaml, "out.yaml", diags);
  EXPECT_EQ(diags.warning_count(), 0u) << yaml;
  EXPECT_EQ(docs.size(), 1u) << yaml;
  return docs.empty() ? Json() : docs[0].value;
}

TEST(StoreYaml, StringsThatLookLikeOtherTypesAreQuoted) {
  Json v{{"values", Json::array({"yes",       "no",         "on",
                                 "off",       "true",       "null",
                                 "~",         "",           "123",
                                 "1e3",       "0x1f",       ".inf",
                                 "-1",        "+1",         "1.0",
                                 "y",         "N",          " lead",
                                 "trail ",    "a: b",       "# not a comment",
                                 "x #y",      "- item",     "[list]",
                                 "{map}",     "*alias",     "&anchor",
                                 "!tag",      "%directive", "@at",
                                 "`tick",     "'single'",   "\"double\"",
                                 "tab\there", "nul\x01",    "é ünï"})}};
  EXPECT_EQ(read_back(to_yaml(v)), v) << to_yaml(v);
}

TEST(StoreYaml, MultiLineStringsBecomeLiteralBlocksThatReadBackExactly) {
  for (std::string s : {"line1\nline2\n", "line1\nline2", "a\n\nb\n", "  indented\nx\n",
                        "x\n  more\n", "ends with two\n\n", "\nleading newline", "x\n \ny",
                        "trailing space \nx", "crlf\r\nline", "\t,\n", "a\n  \tb\n"}) {
    Json v{{"data", {{"script", s}}}, {"list", Json::array({s, {{"k", s}}})}};
    std::string yaml = to_yaml(v);
    EXPECT_EQ(read_back(yaml), v) << yaml;
  }
  EXPECT_NE(to_yaml(Json{{"s", "a\nb\n"}}).find("s: |\n  a\n  b\n"), std::string::npos);
}

TEST(StoreYaml, NumbersBooleansNullAndEmptyCollectionsReadBack) {
  Json v = Json::parse(R"({"i":-42,"u":4503599627370496,"f":1.5,"e":1e+21,"small":5e-324,
    "t":true,"n":null,"m":{},"l":[],"nested":[[1,2],[{"a":[]}]]})");
  std::string yaml = to_yaml(v);
  EXPECT_EQ(canonical_json(read_back(yaml)), canonical_json(v)) << yaml;
}

TEST(StoreYaml, ManifestKeysComeFirst) {
  Json v{{"spec", 1}, {"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"name", "p"}}}};
  EXPECT_EQ(to_yaml(v), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: 1\n");
}

TEST(StoreSecrets, RedactsDataAndStringDataOfSecretsOnly) {
  Json s{{"apiVersion", "v1"},
         {"kind", "Secret"},
         {"metadata", {{"name", "s"}}},
         {"data", {{"a", "c2VjcmV0"}}},
         {"stringData", {{"b", "secret"}}}};
  Json r = redact_secret_values(s);
  EXPECT_EQ(r["data"]["a"], kRedacted);
  EXPECT_EQ(r["stringData"]["b"], kRedacted);
  EXPECT_EQ(r["metadata"], s["metadata"]);
  Json cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", {{"a", "plain"}}}};
  EXPECT_EQ(redact_secret_values(cm), cm);
}

}  // namespace
}  // namespace kix
