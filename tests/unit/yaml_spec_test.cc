// What libyaml read differently from YAML 1.2, and what kix now does: the
// spec's value, or a located refusal. Plus the input budgets that hold.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "manifest/document.h"
#include "manifest/utf8.h"
#include "tests/unit/store_test_support.h"
#include "tests/unit/yaml_test_support.h"

namespace kix {
namespace {

Json one(const std::string& text) {
  return testing::read_one_document(text);
}
Error refusal(const std::string& text) {
  return testing::read_refusal(text);
}

TEST(YamlSpec, ReadsWhatLibyamlMisread) {
  // A '?' inside flow content is part of a plain scalar (test suite 652Z, HM87).
  EXPECT_EQ(one("{ ?foo: bar,\nbar: 42\n}\n"), Json::parse(R"({"?foo":"bar","bar":42})"));
  EXPECT_EQ(one("[?x]\n"), Json::parse(R"(["?x"])"));
  // An anchor name may contain ':' (2SXE, Y2GN).
  EXPECT_EQ(one("key: &an:chor value\nother: *an:chor\n"),
            Json::parse(R"({"key":"value","other":"value"})"));
  // Trailing lines of spaces belong to a kept block scalar (L24T).
  EXPECT_EQ(one("foo: |+\n  x\n   \n"), Json::parse(R"({"foo":"x\n \n"})"));
}

TEST(YamlSpec, RefusesWhatLibyamlAccepted) {
  for (const char* invalid : {"- a\nb: c\n", "a: 'b\n", "[a, b\n", "a: b: c\n",
                              "&anchor - sequence entry\n", "key: - a\n"}) {
    Error e = refusal(invalid);
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << invalid;
    EXPECT_GT(e.where().line, 0) << invalid << ": " << e.render();
  }
}

TEST(YamlSpec, AcceptsAByteOrderMarkAsKubectlDoes) {
  EXPECT_EQ(one("\xEF\xBB\xBF"
                "apiVersion: v1\nkind: ConfigMap\n")["kind"],
            "ConfigMap");
  Diagnostics diags;
  auto docs = parse_any("\xEF\xBB\xBF{\"kind\": \"ConfigMap\"}", "in.json", diags);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].value["kind"], "ConfigMap");
}

TEST(YamlSpec, HonoursMergeKeysAsKubectlDoes) {
  Json v =
      one("base: &base {cpu: 100m, memory: 64Mi}\n"
          "limits:\n  <<: *base\n  memory: 128Mi\n"
          "both:\n  memory: 1Gi\n  <<: [*base, {gpu: 1, cpu: 2}]\n"
          "literal:\n  \"<<\": kept\n");
  EXPECT_EQ(v["limits"], Json::parse(R"({"cpu":"100m","memory":"128Mi"})"));
  EXPECT_EQ(v["both"], Json::parse(R"({"cpu":"100m","gpu":1,"memory":"1Gi"})"));
  EXPECT_EQ(v["literal"], Json::parse(R"({"<<":"kept"})"));
  Error e = refusal("a:\n  <<: 3\n");
  EXPECT_NE(e.message().find("merge key"), std::string::npos);
  EXPECT_EQ(e.where().line, 2);
}

TEST(YamlSpec, RefusesKeysThatReadAsNull) {
  for (const char* text : {": x\n", "~: x\n", "null: x\n", "{: x}\n"}) {
    Error e = refusal(text);
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << text;
    EXPECT_GT(e.where().line, 0) << text;
  }
  EXPECT_EQ(one("\"null\": x\n"), Json::parse(R"({"null":"x"})"));
}

TEST(YamlSpec, TagErrorsPointAtTheTag) {
  Error e = refusal("a: b\nfolded: !foo >1\n value\n");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_EQ(e.where().column, 9);
}

TEST(YamlSpec, ADocumentBeyondItsLimitIsRefusedEvenAsOneScalar) {
  ParseOptions options;
  options.limits.max_document_bytes = 1 << 20;
  std::string text = "a: " + std::string(2 << 20, 'x') + "\n";
  Diagnostics diags;
  try {
    parse_yaml(text, "big.yaml", diags, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(e.message().find("larger than 1 MiB"), std::string::npos) << e.message();
  }
}

// A pipe whose writer never stops: the stream is parsed as it is read, so
// the first error ends it (and the budget would, had there been none).
class EndlessPipe {
 public:
  explicit EndlessPipe(std::string line) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    read_end_ = fds[0];
    writer_ = std::thread([fd = fds[1], line] {
      std::string chunk;
      while (chunk.size() < 65536) chunk += line;
      while (::write(fd, chunk.data(), chunk.size()) > 0) {
      }
      ::close(fd);
    });
  }
  ~EndlessPipe() {
    ::close(read_end_);  // the writer gets EPIPE and stops
    writer_.join();
  }
  int fd() const { return read_end_; }

 private:
  int read_end_ = -1;
  std::thread writer_;
};

TEST(YamlSpec, AnEndlessStreamStopsAtItsFirstError) {
  signal(SIGPIPE, SIG_IGN);
  EndlessPipe pipe("a: b\n");
  Diagnostics diags;
  try {
    parse_yaml_stream(pipe.fd(), "", "<stdin>", diags);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "duplicate key 'a'");
    EXPECT_EQ(e.where().line, 2);
    // A document of a stream whose kind is not known yet, read only in
    // part, may still turn out to be a Secret: its lines are not quoted.
    EXPECT_EQ(e.source_line(), "");
  }
}

TEST(YamlSpec, AnEndlessValidStreamStopsAtTheBudget) {
  signal(SIGPIPE, SIG_IGN);
  EndlessPipe pipe("- x\n");
  ParseOptions options;
  options.limits.max_input_bytes = 4 << 20;
  options.limits.max_document_bytes = 64 << 20;
  options.limits.max_nodes = 64 << 20;
  Diagnostics diags;
  try {
    parse_yaml_stream(pipe.fd(), "", "<stdin>", diags, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(e.message(), "<stdin> is larger than 4 MiB");
  }
}

}  // namespace
}  // namespace kix

namespace kix {
namespace {

TEST(YamlSpec, RefusesInvalidUtf8BeforeTheParserSeesIt) {
  // libfyaml 0.7 loops forever on this one (found by the definition fuzzer).
  Error e = refusal("clsS:\n% sherf:s !orce o\xff\xff\xff\xff\xff\xff\xff\xfft-\n");
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(e.message().find("UTF-8"), std::string::npos);
  EXPECT_TRUE(e.source_line().empty());  // not text: not quoted
  for (const char* bad :
       {"a: \xC0\x80\n", "a: \xED\xA0\x80\n", "a: \xF4\x90\x80\x80\n", "a: \xE2\x82\n"}) {
    EXPECT_EQ(refusal(bad).kind(), ErrorKind::kInvalidInput);
  }
  EXPECT_EQ(one("a: \xE2\x82\xAC \xF0\x9F\x98\x80\n")["a"], "\xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(YamlSpec, ADirectiveThatWouldEndTheStreamEarlyIsRefused) {
  Error e = refusal("a: 1\n% reserved directive\nb: 2\n");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(e.message().find("directive"), std::string::npos);
  Diagnostics diags;
  auto docs = parse_yaml("a: 1\n...\n%YAML 1.2\n---\nb: 2\n", "in.yaml", diags);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].value["b"], 2);
}

TEST(Utf8Validator, FindsTheFirstBadSequenceAcrossPieces) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("abc\xE2\x82"));  // a character split between pieces
  EXPECT_FALSE(v.feed("\xAC def"));
  EXPECT_FALSE(v.finish());
  Utf8Validator w;
  EXPECT_FALSE(w.feed("ab\xE2"));
  EXPECT_EQ(w.feed("x"), 2u);
  EXPECT_EQ(first_invalid_utf8(std::string(100, 'a') + "\xFF"), 100u);
  EXPECT_EQ(first_invalid_utf8("\xF0\x9F\x98"), 0u);
}

}  // namespace
}  // namespace kix
