#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "compiler/module_merge.h"
#include "manifest/document.h"

namespace kix::compiler {
namespace {

Document parse(const std::string& text, const std::string& file) {
  Diagnostics diags;
  ParseOptions options;
  options.record_locations = true;
  options.allow_custom_tags = true;
  return std::move(parse_yaml(text, file, diags, options).at(0));
}

MergedDocument merge(const std::string& a, const std::string& b) {
  std::vector<Document> docs;
  docs.push_back(parse(a, "a.yaml"));
  docs.push_back(parse(b, "b.yaml"));
  return MergedDocument::merge(std::move(docs), {"availablePackages"});
}

TEST(CompilerModuleMerge, MapsMergeDeeplyAndKnowWhereValuesCameFrom) {
  auto m = merge("x:\n  a: 1\n", "x:\n  b: 2\n");
  EXPECT_EQ(m.value(), Json::parse(R"({"x":{"a":1,"b":2}})"));
  EXPECT_EQ(m.locate("/x/a").file, "a.yaml");
  EXPECT_EQ(m.locate("/x/b").file, "b.yaml");
  EXPECT_EQ(m.locate("/x/b").line, 2);
}

TEST(CompilerModuleMerge, EqualValuesAgree) {
  EXPECT_EQ(merge("x: 1\n", "x: 1\n").value()["x"], 1);
}

TEST(CompilerModuleMerge, ConflictNamesBothFilesAndLines) {
  try {
    merge("cfg:\n  size: 20Gi\n", "\ncfg:\n  size: 30Gi\n");
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_EQ(
        e.message(),
        "conflicting values for '/cfg/size': \"20Gi\" at a.yaml:2:9 and \"30Gi\" at b.yaml:3:9");
  }
}

TEST(CompilerModuleMerge, DefaultYieldsAndForceWins) {
  EXPECT_EQ(merge("size: !default 20Gi\n", "size: 30Gi\n").value()["size"], "30Gi");
  EXPECT_EQ(merge("size: 20Gi\n", "size: !default 30Gi\n").value()["size"], "20Gi");
  EXPECT_EQ(merge("size: 20Gi\n", "size: !force 30Gi\n").value()["size"], "30Gi");
  EXPECT_EQ(merge("size: !force 20Gi\n", "size: 30Gi\n").value()["size"], "20Gi");
  EXPECT_EQ(merge("m: !default {a: 1}\n", "m: {a: 2}\n").value()["m"]["a"], 2);
  EXPECT_ERROR_KIND(merge("size: !force 1\n", "size: !force 2\n"), ErrorKind::kConflict);
}

TEST(CompilerModuleMerge, TwoForcedOrTwoDefaultedValuesGetAHintThatHelps) {
  try {
    merge("size: !force 1\n", "size: !force 2\n");
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "conflicting values for '/size': 1 at a.yaml:1:7 and 2 at b.yaml:1:7 (both tagged "
              "!force)");
    EXPECT_EQ(e.hint(),
              "two !force values cannot both win: remove the !force tag from the one that should "
              "yield, or make the values agree");
  }
  try {
    merge("size: !default 1\n", "size: !default 2\n");
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("(both tagged !default)"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("remove the !default tag from the one that should win"),
              std::string::npos)
        << e.hint();
  }
}

TEST(CompilerModuleMerge, ListedTopLevelListsAreJoined) {
  auto m = merge("availablePackages: [valkey]\n", "availablePackages: [redis, valkey]\n");
  EXPECT_EQ(m.value()["availablePackages"], Json::parse(R"(["valkey","redis"])"));
  EXPECT_ERROR_KIND(merge("other: [1]\n", "other: [2]\n"), ErrorKind::kConflict);
}

}  // namespace
}  // namespace kix::compiler

namespace kix::compiler {
namespace {

TEST(CompilerModuleMerge, ReplacedMapForgetsWhereItsOldKeysCameFrom) {
  std::vector<Document> docs;
  docs.push_back(parse("x: !default {a: 1}\n", "a.yaml"));
  docs.push_back(parse("x: {b: 2}\n", "b.yaml"));           // merges into the default map
  docs.push_back(parse("x: 5\n", "c.yaml"));                // replaces it
  docs.push_back(parse("\nx: !force {b: 3}\n", "d.yaml"));  // replaces that
  auto m = MergedDocument::merge(std::move(docs), {});
  EXPECT_EQ(m.value()["x"], Json::parse(R"({"b":3})"));
  EXPECT_EQ(m.locate("/x/b").file, "d.yaml");
  EXPECT_EQ(m.locate("/x/b").line, 2);
}

}  // namespace
}  // namespace kix::compiler

namespace kix::compiler {
namespace {

MergedDocument merge_appending(const std::string& a, const std::string& b) {
  std::vector<Document> docs;
  docs.push_back(parse(a, "a.yaml"));
  docs.push_back(parse(b, "b.yaml"));
  return MergedDocument::merge(std::move(docs), {}, {"/i/*/patches"});
}

TEST(CompilerModuleMerge, AppendedListsKeepEveryItemInModuleOrderAndItsLocation) {
  auto m = merge_appending("i:\n  x:\n    patches: [1, 2]\n",
                           "i:\n  x:\n    patches:\n      - 2\n      - {a: 3}\n");
  EXPECT_EQ(m.value()["i"]["x"]["patches"], Json::parse(R"([1, 2, 2, {"a": 3}])"));
  EXPECT_EQ(m.locate("/i/x/patches/1").file, "a.yaml");
  EXPECT_EQ(m.locate("/i/x/patches/2").file, "b.yaml");
  EXPECT_EQ(m.locate("/i/x/patches/2").line, 4);
  EXPECT_EQ(m.locate("/i/x/patches/3/a").line, 5);
  // Elsewhere lists are still compared, and tags still decide.
  EXPECT_ERROR_KIND(merge_appending("j: [1]\n", "j: [2]\n"), ErrorKind::kConflict);
  EXPECT_EQ(merge_appending("i:\n  x:\n    patches: [1]\n", "i:\n  x:\n    patches: !force [2]\n")
                .value()["i"]["x"]["patches"],
            Json::parse("[2]"));
  EXPECT_EQ(merge_appending("i:\n  x:\n    patches: !default [1]\n", "i:\n  x:\n    patches: [2]\n")
                .value()["i"]["x"]["patches"],
            Json::parse("[2]"));
}

}  // namespace
}  // namespace kix::compiler
