// RFC 6902 JSON Patch: the examples of the RFC's appendix A, and the
// failures a user must be told about (which op, which path).
#include "manifest/json_patch.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

Json patched(const char* doc, const char* ops) {
  Json target = Json::parse(doc);
  auto failure = apply_json_patch(target, Json::parse(ops));
  EXPECT_FALSE(failure.has_value()) << (failure ? failure->message : "");
  return target;
}

JsonPatchFailure failed(const char* doc, const char* ops) {
  Json target = Json::parse(doc);
  const Json before = target;
  auto failure = apply_json_patch(target, Json::parse(ops));
  EXPECT_TRUE(failure.has_value());
  EXPECT_EQ(target, before) << "a failed patch must leave the document as it was";
  return failure.value_or(JsonPatchFailure{});
}

TEST(JsonPatch, A1AddingAnObjectMember) {
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
            Json::parse(R"({"baz":"qux","foo":"bar"})"));
}

TEST(JsonPatch, A2AddingAnArrayElement) {
  EXPECT_EQ(patched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            Json::parse(R"({"foo":["bar","qux","baz"]})"));
}

TEST(JsonPatch, A3RemovingAnObjectMember) {
  EXPECT_EQ(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
            Json::parse(R"({"foo":"bar"})"));
}

TEST(JsonPatch, A4RemovingAnArrayElement) {
  EXPECT_EQ(patched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
            Json::parse(R"({"foo":["bar","baz"]})"));
}

TEST(JsonPatch, A5ReplacingAValue) {
  EXPECT_EQ(
      patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"),
      Json::parse(R"({"baz":"boo","foo":"bar"})"));
}

TEST(JsonPatch, A6MovingAValue) {
  EXPECT_EQ(patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            Json::parse(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
}

TEST(JsonPatch, A7MovingAnArrayElement) {
  EXPECT_EQ(patched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            Json::parse(R"({"foo":["all","cows","eat","grass"]})"));
}

TEST(JsonPatch, A8TestingAValueSuccess) {
  EXPECT_EQ(patched(R"({"baz":"qux","foo":["a",2,"c"]})",
                    R"([{"op":"test","path":"/baz","value":"qux"},
                        {"op":"test","path":"/foo/1","value":2}])"),
            Json::parse(R"({"baz":"qux","foo":["a",2,"c"]})"));
}

TEST(JsonPatch, A9TestingAValueError) {
  JsonPatchFailure f = failed(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])");
  EXPECT_EQ(f.op, 0u);
  EXPECT_EQ(f.message, "test failed: '/baz' is \"qux\", not \"bar\"");
}

TEST(JsonPatch, A10AddingANestedMemberObject) {
  EXPECT_EQ(
      patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
      Json::parse(R"({"foo":"bar","child":{"grandchild":{}}})"));
}

TEST(JsonPatch, A11IgnoringUnrecognizedElements) {
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"),
            Json::parse(R"({"foo":"bar","baz":"qux"})"));
}

TEST(JsonPatch, A12AddingToANonexistentTarget) {
  JsonPatchFailure f =
      failed(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])");
  EXPECT_EQ(f.message, "path '/baz' does not exist");
}

TEST(JsonPatch, A14TildeEscapeOrdering) {
  EXPECT_EQ(patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])"),
            Json::parse(R"({"/":9,"~1":10})"));
}

TEST(JsonPatch, A15ComparingStringsAndNumbers) {
  JsonPatchFailure f =
      failed(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])");
  EXPECT_NE(f.message.find("test failed"), std::string::npos);
}

TEST(JsonPatch, A16AddingAnArrayValue) {
  EXPECT_EQ(
      patched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
      Json::parse(R"({"foo":["bar",["abc","def"]]})"));
}

TEST(JsonPatch, CopyAndReplaceTheWholeDocument) {
  EXPECT_EQ(patched(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])"),
            Json::parse(R"({"a":{"b":1},"c":{"b":1}})"));
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])"),
            Json::parse("[1]"));
}

TEST(JsonPatch, TestComparesObjectsRegardlessOfKeyOrder) {
  patched(R"({"a":{"x":1,"y":2}})", R"([{"op":"test","path":"/a","value":{"y":2,"x":1}}])");
}

TEST(JsonPatch, FailuresNameTheOperationAndLeaveTheDocumentAlone) {
  JsonPatchFailure f = failed(R"({"a":[1,2]})", R"([{"op":"add","path":"/b","value":1},
                                                    {"op":"remove","path":"/a/5"}])");
  EXPECT_EQ(f.op, 1u);
  EXPECT_EQ(f.message, "path '/a/5' does not exist (the list '/a' has 2 items)");
}

TEST(JsonPatch, MalformedOperationsAreFailures) {
  EXPECT_EQ(failed("{}", R"([{"op":"ad","path":"/a","value":1}])").message,
            "unknown op 'ad' (add, remove, replace, move, copy or test)");
  EXPECT_EQ(failed("{}", R"([{"op":"add","value":1}])").message,
            "'add' needs 'path', a JSON Pointer such as /spec/replicas");
  EXPECT_EQ(failed("{}", R"([{"op":"add","path":"/a"}])").message, "'add' needs 'value'");
  EXPECT_NE(
      failed("{}", R"([{"op":"add","path":"a","value":1}])").message.find("not a JSON Pointer"),
      std::string::npos);
  EXPECT_EQ(failed(R"({"a":[]})", R"([{"op":"add","path":"/a/01","value":1}])").message,
            "cannot add at '/a/01': the list has 0 items (use '-' to append)");
  EXPECT_EQ(failed(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/c"}])").message,
            "cannot move '/a' into itself ('/a/c')");
  EXPECT_EQ(failed("{}", R"([{"op":"remove","path":""}])").message,
            "cannot remove the whole document");
}

TEST(JsonPatch, PointersUnescapeTildeAndSlash) {
  EXPECT_EQ(parse_json_pointer("/a~1b/~0c/"), (std::vector<std::string>{"a/b", "~c", ""}));
  EXPECT_EQ(parse_json_pointer(""), std::vector<std::string>{});
  EXPECT_FALSE(parse_json_pointer("a").has_value());
  EXPECT_FALSE(parse_json_pointer("/a~2").has_value());
}

TEST(JsonPatch, WrittenPaths) {
  EXPECT_EQ(json_patch_written_paths(Json::parse(R"({"op":"move","from":"/a","path":"/b"})")),
            (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(
      json_patch_written_paths(Json::parse(R"({"op":"test","path":"/a","value":1})")).empty());
}

}  // namespace
}  // namespace kix
