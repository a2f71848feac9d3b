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
  EXPECT_FALSE(out.contains("postgres")) << "an object option without a default is optional";
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

namespace kix::compiler {
namespace {

std::string schema_error_of(const std::string& options) {
  try {
    validate_option_schemas(Json::parse(options), [](const std::string& pointer) {
      return SourceLocation{"package.yaml", static_cast<int>(pointer.size()), 1};
    });
  } catch (const Error& e) {
    return e.message() + (e.hint().empty() ? "" : " | " + e.hint());
  }
  return "no error";
}

TEST(CompilerOptions, IntegerTypeAcceptsWholeFloatsOfAnySizeWithoutOverflow) {
  // 1e300 has no fraction (JSON Schema calls it an integer) but does not fit
  // an int64: the check must not convert it.
  EXPECT_EQ(apply(R"({"replicas": 1e300})")["replicas"], 1e300);
  EXPECT_EQ(apply(R"({"replicas": 3.0})")["replicas"], 3.0);
  EXPECT_EQ(error_of(R"({"replicas": 1.5})"),
            "cluster.yaml:7:9: The option 'replicas' is of type integer but a number was provided");
}

TEST(CompilerOptions, AdditionalPropertiesSchemaChecksTheExtraKeys) {
  Json options =
      Json::parse(R"({"labels": {"type": "object", "additionalProperties": {"type": "string"}}})");
  EXPECT_EQ(apply_options(options, Json::parse(R"({"labels": {"a": "x"}})"), locate)["labels"]["a"],
            "x");
  try {
    apply_options(options, Json::parse(R"({"labels": {"a": 1}})"), locate);
    FAIL() << "expected a type error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "The option 'labels.a' is of type string but an integer was provided");
  }
}

TEST(CompilerOptions, OptionalObjectIsAbsentUnlessGivenAndItsRequiredKeysApplyWhenGiven) {
  const Json options = Json::parse(R"({
    "backup": {"type": "object", "required": ["bucket"], "properties": {
      "bucket": {"type": "string"},
      "name": {"type": "string", "default": "nightly"}}},
    "tls": {"type": "object", "default": {}, "properties": {
      "issuer": {"type": "string", "default": "letsencrypt"}}}
  })");
  Json out = apply_options(options, Json::object(), locate);
  EXPECT_FALSE(out.contains("backup"));
  EXPECT_EQ(out["tls"]["issuer"], "letsencrypt") << "a defaulted object gets its sub-defaults";
  out = apply_options(options, Json::parse(R"({"backup": {"bucket": "b"}})"), locate);
  EXPECT_EQ(out["backup"], Json::parse(R"({"bucket": "b", "name": "nightly"})"));
  try {
    apply_options(options, Json::parse(R"({"backup": {}})"), locate);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "the option 'backup.bucket' is required");
  }
}

TEST(CompilerOptions, RequiredOptionLeftOutIsAnErrorAtTheConfig) {
  const Json options = Json::parse(R"({
    "host": {"type": "string", "required": true, "description": "the public host name"},
    "db": {"type": "object", "properties": {"user": {"type": "string", "required": true}}}
  })");
  EXPECT_EQ(apply_options(options, Json::parse(R"({"host": "a.example"})"), locate)["host"],
            "a.example");
  try {
    apply_options(options, Json::object(), locate);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 3) << "at the config (or the instance when it has none)";
    EXPECT_EQ(e.message(), "the option 'host' is required");
    EXPECT_EQ(e.hint(), "add `host: ...` under the instance's config (the public host name)");
  }
  try {
    apply_options(options, Json::parse(R"({"host": "h", "db": {}})"), locate);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "the option 'db.user' is required");
    EXPECT_EQ(e.hint(), "add `user: ...` under 'db'");
  }
}

TEST(CompilerOptions, RequiredTrueIsCheckedAtLoadTime) {
  EXPECT_EQ(schema_error_of(R"({"host": {"type": "string", "required": true, "default": "x"}})"),
            "option 'host' is required and has a default, so it is never missing | remove the "
            "default or `required: true`");
  EXPECT_EQ(
      schema_error_of(R"({"l": {"type": "array", "items": {"type": "string", "required": true}}})"),
      "'required: true' applies to a named option, not to 'l[]' | list the keys that must "
      "be given in the enclosing schema: `required: [key]`");
  EXPECT_EQ(schema_error_of(R"({"host": {"type": "string", "required": "yes"}})"),
            "'required' of option 'host' must be true, false, or a list of property names");
  EXPECT_EQ(schema_error_of(R"({"host": {"type": "string", "required": false}})"), "no error");
}

TEST(CompilerOptions, PackageSchemasOfTheLibraryShapeAreAccepted) {
  EXPECT_EQ(schema_error_of(kOptions.dump()), "no error");
  EXPECT_EQ(schema_error_of(R"({"x": {"type": "object", "additionalProperties": true,
                                      "description": "free-form", "title": "X"}})"),
            "no error");
}

TEST(CompilerOptions, MalformedPackageSchemasAreErrorsAtLoadTime) {
  EXPECT_EQ(schema_error_of(R"({"replicas": {"type": "int"}})"),
            "option 'replicas' has an unknown type \"int\" | one of: string, integer, number, "
            "boolean, object, array, null");
  EXPECT_EQ(schema_error_of(R"({"replicas": {"type": "integr"}})"),
            "option 'replicas' has an unknown type \"integr\" | did you mean 'integer'?");
  EXPECT_EQ(schema_error_of(R"({"replicas": {"type": "integer", "minimum": "1"}})"),
            "'minimum' of option 'replicas' must be a number");
  EXPECT_EQ(
      schema_error_of(R"({"replicas": {"type": "integer", "defualt": 1}})"),
      "unknown keyword 'defualt' in the schema of option 'replicas' | did you mean 'default'?");
  EXPECT_EQ(schema_error_of(R"({"host": {"type": "string", "required": true, "description": 5}})"),
            "'description' of option 'host' must be a string | quote it, or use YAML's `>-` for a "
            "long one");
  EXPECT_EQ(schema_error_of(R"({"replicas": "integer"})"),
            "the schema of option 'replicas' must be a map | e.g. `replicas: { type: string, "
            "default: \"x\" }`");
  EXPECT_EQ(
      schema_error_of(
          R"({"db": {"type": "object", "properties": {"port": {"type": "integer", "default": "5432"}}}})"),
      "The option 'db.port' is of type integer but a string was provided");
}

TEST(CompilerOptions, DefaultOutsideItsEnumIsAnErrorAtTheDefault) {
  try {
    validate_option_schemas(
        Json::parse(R"({"mode": {"type": "string", "enum": ["a", "b"], "default": "c"}})"),
        [](const std::string& pointer) {
          return SourceLocation{"package.yaml" + pointer, 4, 1};
        });
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().file, "package.yaml/mode/default");
    EXPECT_NE(e.render().find("in the default of option 'mode'"), std::string::npos);
  }
}

}  // namespace
}  // namespace kix::compiler
