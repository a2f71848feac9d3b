#include "manifest/document.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

Json parse_one(const std::string& text, Diagnostics* diags_out = nullptr) {
  Diagnostics diags;
  auto docs = parse_any(text, "in.yaml", diags);
  if (diags_out != nullptr) *diags_out = diags;
  EXPECT_EQ(docs.size(), 1u);
  return docs.empty() ? Json() : docs[0].value;
}

Error parse_error(const std::string& text, const std::string& file = "in.yaml",
                  const ParseOptions& options = {}) {
  Diagnostics diags;
  try {
    parse_any(text, file, diags, options);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return Error(ErrorKind::kInternal, "none");
}

TEST(YamlReader, ResolvesTheCoreSchema) {
  Json v = parse_one(
      "s: hello\nq: \"1\"\ni: 42\nneg: -7\nhex: 0x1F\noct: 0o17\nf: 2.50\ne: 1e3\n"
      "t: true\nT: True\nn: null\ntilde: ~\nempty:\n");
  EXPECT_EQ(v["s"], "hello");
  EXPECT_EQ(v["q"], "1");
  EXPECT_EQ(v["i"], 42);
  EXPECT_EQ(v["neg"], -7);
  EXPECT_EQ(v["hex"], 31);
  EXPECT_EQ(v["oct"], 15);
  EXPECT_DOUBLE_EQ(v["f"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(v["e"].get<double>(), 1000);
  EXPECT_EQ(v["t"], true);
  EXPECT_EQ(v["T"], true);
  EXPECT_TRUE(v["n"].is_null());
  EXPECT_TRUE(v["tilde"].is_null());
  EXPECT_TRUE(v["empty"].is_null());
}

TEST(YamlReader, KeepsYaml11BooleansAsStringsWithAWarning) {
  Diagnostics diags;
  Json v = parse_one("a: yes\nb: off\nc: 'no'\n", &diags);
  EXPECT_EQ(v["a"], "yes");
  EXPECT_EQ(v["b"], "off");
  EXPECT_EQ(v["c"], "no");
  ASSERT_EQ(diags.warning_count(), 2u);  // the quoted one is unambiguous
  EXPECT_EQ(diags.items()[0].where.line, 1);
  EXPECT_NE(diags.items()[0].message.find("YAML 1.1"), std::string::npos);
}

TEST(YamlReader, WarnsAboutLeadingZeroIntegers) {
  Diagnostics diags;
  Json v = parse_one("mode: 0644\n", &diags);
  EXPECT_EQ(v["mode"], 644);
  ASSERT_EQ(diags.warning_count(), 1u);
  EXPECT_NE(diags.items()[0].message.find("420"), std::string::npos);
}

TEST(YamlReader, ExplicitTagsOverrideResolution) {
  Json v = parse_one("a: !!str 42\nb: !!float 1\nc: ! true\n");
  EXPECT_EQ(v["a"], "42");
  EXPECT_TRUE(v["b"].is_number_float());
  EXPECT_EQ(v["c"], "true");
}

TEST(YamlReader, RejectsDuplicateKeysNamingBothLines) {
  Error e = parse_error("a:\n  b: 1\n  c: 2\n  b: 3\n");
  EXPECT_EQ(e.message(), "duplicate key 'b'");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_NE(e.hint().find("line 2"), std::string::npos);
  EXPECT_EQ(e.source_line(), "  b: 3");
}

TEST(YamlReader, ReportsSyntaxErrorsWithLineAndCaret) {
  Error e = parse_error("a: 1\n b: 2\n");
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(e.where().line, 1);  // the multi-line plain key that starts there
  EXPECT_NE(e.render().find("in.yaml:1:4:"), std::string::npos);
  EXPECT_NE(e.render().find("invalid YAML"), std::string::npos);
  EXPECT_NE(e.render().find("^"), std::string::npos);
}

TEST(YamlReader, StopsAliasBombs) {
  std::string text = "a: &a [x,x,x,x,x,x,x,x,x]\n";
  std::string prev = "a";
  for (char c : std::string("bcdefghij")) {
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) text += (i ? ",*" : "*") + prev;
    text += "]\n";
    prev = std::string(1, c);
  }
  Error e = parse_error(text);
  EXPECT_NE(e.message().find("alias"), std::string::npos);
}

TEST(YamlReader, LimitsNestingDepth) {
  Error e = parse_error("a: " + std::string(500, '[') + std::string(500, ']') + "\n");
  EXPECT_NE(e.message().find("nesting is deeper"), std::string::npos);
  Error j = parse_error(std::string(100000, '[') + std::string(100000, ']'), "in.json");
  EXPECT_NE(j.message().find("nesting is deeper"), std::string::npos);
}

TEST(YamlReader, LimitsDocumentSize) {
  ParseOptions options;
  options.limits.max_document_bytes = 1024;
  std::string text = "a:\n";
  for (int i = 0; i < 200; ++i) text += "  k" + std::to_string(i) + ": value\n";
  Error e = parse_error(text, "in.yaml", options);
  EXPECT_NE(e.message().find("larger than"), std::string::npos);
}

TEST(YamlReader, RejectsUnknownTagsUnlessAllowed) {
  Error e = parse_error("a: !default 1\n");
  EXPECT_NE(e.message().find("unknown YAML tag '!default'"), std::string::npos);
  ParseOptions options;
  options.allow_custom_tags = true;
  options.record_locations = true;
  Diagnostics diags;
  auto docs = parse_yaml("a:\n  b: !default 1\n", "m.yaml", diags, options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].value["a"]["b"], 1);
  ASSERT_TRUE(docs[0].tags);
  EXPECT_EQ(docs[0].tags->at("/a/b"), "!default");
  EXPECT_EQ(docs[0].locate("/a/b").line, 2);
  EXPECT_EQ(docs[0].locate("/a/b").column, 6);
  EXPECT_EQ(docs[0].locate("/a/missing").line, 1);  // falls back to the parent, located at its key
}

TEST(YamlReader, ReadsMultipleDocumentsWithTheirStartLines) {
  Diagnostics diags;
  auto docs = parse_yaml("a: 1\n---\n# comment\nb: 2\n---\n", "m.yaml", diags);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].location.line, 1);
  EXPECT_EQ(docs[1].location.line, 4);
  EXPECT_TRUE(docs[2].value.is_null());
}

TEST(YamlReader, RejectsHugeIntegersAndInfinity) {
  EXPECT_NE(parse_error("a: 99999999999999999999\n").message().find("cannot be represented"),
            std::string::npos);
  EXPECT_NE(parse_error("a: .inf\n").message().find("no JSON form"), std::string::npos);
  EXPECT_NE(parse_error("a: 1e999\n").message().find("no JSON form"), std::string::npos);
}

TEST(JsonReader, ParsesAndLocatesDuplicateKeys) {
  Error e = parse_error("{\"a\": 1,\n \"a\": 2}", "x.json");
  EXPECT_EQ(e.message(), "duplicate key 'a'");
  EXPECT_EQ(e.where().line, 2);
}

TEST(JsonReader, ReportsSyntaxErrorsWithLine) {
  Error e = parse_error("{\"a\": [1,\n 2,}", "x.json");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(e.message().find("invalid JSON"), std::string::npos);
}

TEST(JsonReader, RejectsInvalidUtf8) {
  Error e = parse_error("{\"a\": \"\xff\"}", "x.json");
  EXPECT_NE(e.message().find("invalid JSON"), std::string::npos);
  Error y = parse_error("a: \"\xff\"\n");
  EXPECT_NE(y.message().find("invalid YAML"), std::string::npos);
}

TEST(ParseAny, ReadsKubectlJsonAndYamlFlowDocuments) {
  Diagnostics diags;
  EXPECT_EQ(parse_any("{\"a\": 1}", "-", diags)[0].value["a"], 1);
  EXPECT_EQ(parse_any("{a: 1}", "x.yaml", diags)[0].value["a"], 1);
}

}  // namespace
}  // namespace kix

namespace kix {
namespace {

TEST(YamlReader, NeverQuotesASecretsValuesInErrorsOrWarnings) {
  Diagnostics diags;
  parse_yaml(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  a: yes\n  b: 0600\n",
      "s.yaml", diags);
  ASSERT_EQ(diags.warning_count(), 2u);
  for (const auto& d : diags.items()) {
    EXPECT_EQ(d.render().find("yes"), std::string::npos) << d.render();
    EXPECT_EQ(d.render().find("0600"), std::string::npos) << d.render();
    EXPECT_EQ(d.render().find("384"), std::string::npos) << d.render();
  }
  try {
    parse_yaml("kind: Secret\nstringData:\n  password: hunter2\n  password: hunter3\n", "s.yaml",
               diags);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 4);
    EXPECT_EQ(e.render().find("hunter"), std::string::npos) << e.render();
  }
  try {
    parse_yaml("kind: Secret\nstringData:\n  password: \"hunter2\n", "s.yaml", diags);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.render().find("hunter"), std::string::npos) << e.render();
  }
}

}  // namespace
}  // namespace kix
