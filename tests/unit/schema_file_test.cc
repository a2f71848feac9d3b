#include "compiler/schema_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/schema_validator.h"
#include "manifest/canonical_json.h"
#include "util/error.h"

namespace kix {
namespace {

std::string error_of(const std::string& text) {
  try {
    index_schema_text("bad.json", text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return "";
}

TEST(SchemaFile, DefinitionsAreFoundAsSpansOfTheirExactText) {
  const std::string text = R"({"format": "kix-schema/v1",
    "definitions": {
      "a.B": {"type": "object", "properties": {"x": {"pattern": "^[}\"{]*$"}}},
      "esc\u0061ped": {"enum": ["\\", "]", "\"}"]},
      "n": 1,
      "t": true
    },
    "kinds": {"v1/B": "a.B"}})";
  SchemaFile file = index_schema_text("test.json", text);
  ASSERT_EQ(file.definitions.size(), 4u);
  EXPECT_EQ(file.definitions[0].first, "a.B");
  EXPECT_EQ(file.definitions[1].first, "escaped");
  EXPECT_EQ(file.definitions[2].first, "n");
  EXPECT_EQ(file.definitions[3].first, "t");
  EXPECT_EQ(file.definition_text(file.definitions[0].second),
            R"({"type": "object", "properties": {"x": {"pattern": "^[}\"{]*$"}}})");
  EXPECT_EQ(Json::parse(file.definition_text(file.definitions[1].second)),
            Json::parse(R"({"enum": ["\\", "]", "\"}"]})"));
  EXPECT_EQ(file.definition_text(file.definitions[2].second), "1");
  EXPECT_EQ(file.definition_text(file.definitions[3].second), "true");
  EXPECT_EQ(file.kinds.at("v1/B"), "a.B");
}

// Every definition of every shipped schema file, indexed, parses to exactly
// what parsing the whole file gives.
TEST(SchemaFile, IndexOfTheShippedFilesAgreesWithAFullParse) {
  size_t checked = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(KIX_SOURCE_DIR) / "schema")) {
    if (entry.path().extension() != ".json") continue;
    SchemaFile file = read_schema_file(entry.path());
    std::ifstream in(entry.path());
    Json whole = Json::parse(in);
    ASSERT_EQ(file.definitions.size(), whole["definitions"].size()) << entry.path();
    for (const auto& [name, span] : file.definitions) {
      ASSERT_EQ(Json::parse(file.definition_text(span)), whole["definitions"][name])
          << entry.path() << " " << name;
      ++checked;
    }
    ASSERT_EQ(file.kinds.size(), whole["kinds"].size()) << entry.path();
  }
  EXPECT_GT(checked, 500u);
}

TEST(SchemaFile, MalformedFilesAreCorruptionErrorsNamingTheFileAndByte) {
  EXPECT_NE(error_of(R"({"kinds": {}})").find("no \"definitions\" object"), std::string::npos);
  EXPECT_NE(error_of(R"({"definitions": {}})").find("no \"kinds\" object"), std::string::npos);
  const std::string unterminated = error_of(R"({"kinds": {}, "definitions": {"a": "x})");
  EXPECT_NE(unterminated.find("bad.json"), std::string::npos);
  EXPECT_NE(unterminated.find("unterminated string at byte 35"), std::string::npos) << unterminated;
  EXPECT_NE(error_of(R"({"kinds": {}, "definitions": {"a": {"b": [1}}})").find("unexpected '}'"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"kinds": {}, "definitions": {"a": {"b": [1]})").find("expected '}' at byte 45"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"kinds": {"v1/A": 3}, "definitions": {}})").find("does not name"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"kinds": {}, "definitions": {}} x)").find("text after"),
            std::string::npos);
  EXPECT_NE(error_of("").find("expected '{'"), std::string::npos);
  EXPECT_NE(error_of(R"({"kinds": {}, "definitions": {"a": }})").find("expected a value"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"kinds": {}, "definitions": {"a" 1}})").find("expected ':'"),
            std::string::npos);
}

// A key given twice at the top: the last one counts, as nlohmann's parse
// of the whole file has it.
TEST(SchemaFile, ATopLevelKeyGivenTwiceCountsOnce) {
  SchemaFile file = index_schema_text(
      "twice.json",
      R"({"definitions": {"a": {}}, "kinds": {"v1/A": "a"}, "definitions": {"b": {}},
          "kinds": {"v1/B": "b"}})");
  ASSERT_EQ(file.definitions.size(), 1u);
  EXPECT_EQ(file.definitions[0].first, "b");
  ASSERT_EQ(file.kinds.size(), 1u);
  EXPECT_EQ(file.kinds.at("v1/B"), "b");
}

// The files form one table: a kind may name a definition of another file
// (the later file's wins for a name both define), and a definition that is
// not an object (`true`, as JSON Schema allows) accepts anything.
TEST(SchemaFile, KindsResolveAcrossFilesAndTrueAcceptsAnything) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kix-schema-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.json") << R"({"kinds": {"v1/X": "shared", "v1/Any": "any"},
    "definitions": {"shared": {"type": "object", "required": ["a"]}, "any": true}})";
  std::ofstream(dir / "b.json") << R"({"kinds": {},
    "definitions": {"shared": {"type": "object", "required": ["b"]}}})";
  SchemaValidator validator(dir);
  auto x = validator.validate(Json::parse(R"({"apiVersion": "v1", "kind": "X"})"));
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].message, "missing required field \"b\"");
  bool known = false;
  EXPECT_TRUE(
      validator.validate(Json::parse(R"({"apiVersion": "v1", "kind": "Any", "x": 1})"), &known)
          .empty());
  EXPECT_TRUE(known);
  std::filesystem::remove_all(dir);
}

// A definition is parsed when a manifest first reaches it, so a broken one
// is reported then, with its file and name, and the others still work.
TEST(SchemaFile, ABrokenDefinitionIsReportedWhenAManifestNeedsIt) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kix-schema-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "s.json") << R"({"kinds": {"v1/Good": "good", "v1/Bad": "bad"},
    "definitions": {"good": {"type": "object", "required": ["spec"]},
                    "bad": {"type": "object", "required": [1 2]}}})";
  SchemaValidator validator(dir);
  auto good = validator.validate(Json::parse(R"({"apiVersion": "v1", "kind": "Good"})"));
  ASSERT_EQ(good.size(), 1u);
  try {
    validator.validate(Json::parse(R"({"apiVersion": "v1", "kind": "Bad"})"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruption);
    const std::string message = e.what();
    EXPECT_NE(message.find((dir / "s.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find("definition bad"), std::string::npos) << message;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kix
