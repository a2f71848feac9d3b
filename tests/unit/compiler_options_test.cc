#include <gtest/gtest.h>

#include "compiler/options.h"

namespace kix::compiler {
namespace {

const Json kOptions = Json::parse(R"({
  "replicas": {"type": "integer", "default": 1, "minimum": 1},
  "image": {"type": "string", "default": "nginx"},
  "mode": {"type": "string", "enum": ["a", "b"]},
  "postgres": {"type": "object", "properties": {
     "version": {"type": "string", "default": "16"},
     "extensions": {"type": "array", "default": [], "items": {"type": "object", "properties": {"name": {"type": "string"}}}}
  }}
})");

SourceLocation locate(const std::string& pointer) {
  return {"cluster.yaml", pointer.empty() ? 3 : 7, 9};
}

Json apply(const std::string& config) {
  return apply_options(kOptions, Json::parse(config), locate);
}

std::string error_of(const std::string& config) {
  try {
    apply(config);
  } catch (const Error& e) {
    return e.where().str() + ": " + e.message() + (e.hint().empty() ? "" : " | " + e.hint());
  }
  return "no error";
}

TEST(CompilerOptions, FillsDefaultsIncludingNestedObjects) {
  Json out = apply("{}");
  EXPECT_EQ(out["replicas"], 1);
  EXPECT_EQ(out["image"], "nginx");
  EXPECT_EQ(out["postgres"]["version"], "16");
  EXPECT_EQ(out["postgres"]["extensions"], Json::array());
  EXPECT_FALSE(out.contains("mode"));
  Json given = apply(R"({"postgres": {"extensions": [{"name": "vectors"}]}})");
  EXPECT_EQ(given["postgres"]["version"], "16");
  EXPECT_EQ(given["postgres"]["extensions"][0]["name"], "vectors");
}

TEST(CompilerOptions, TypeErrorUsesTheDocumentedWording) {
  EXPECT_EQ(error_of(R"({"replicas": "3"})"),
            "cluster.yaml:7:9: The option 'replicas' is of type integer but a string was provided");
  EXPECT_EQ(error_of(R"({"postgres": {"version": 16}})"),
            "cluster.yaml:7:9: The option 'postgres.version' is of type string but an integer was "
            "provided");
}

TEST(CompilerOptions, UnknownOptionSuggestsTheClosest) {
  EXPECT_EQ(error_of(R"({"replica": 2})"),
            "cluster.yaml:7:9: unknown option 'replica' | did you mean 'replicas'?");
  EXPECT_EQ(error_of(R"({"postgres": {"extension": []}})"),
            "cluster.yaml:7:9: unknown option 'postgres.extension' | did you mean 'extensions'?");
}

TEST(CompilerOptions, EnumAndBoundsAreChecked) {
  EXPECT_NE(error_of(R"({"mode": "c"})").find("must be one of [\"a\",\"b\"]"), std::string::npos);
  EXPECT_NE(error_of(R"({"replicas": 0})").find("must be at least 1"), std::string::npos);
  EXPECT_EQ(apply(R"({"mode": "b"})")["mode"], "b");
}

}  // namespace
}  // namespace kix::compiler
