// RFC 7386 JSON Merge Patch: the examples of the RFC's appendix A, and the
// paths a patch reports as written.
#include "manifest/merge_patch.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

struct Case {
  const char* target;
  const char* patch;
  const char* result;
};

TEST(MergePatch, Rfc7386AppendixA) {
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    Json target = Json::parse(c.target);
    apply_merge_patch(target, Json::parse(c.patch));
    EXPECT_EQ(target, Json::parse(c.result)) << c.target << " + " << c.patch;
  }
}

TEST(MergePatch, ReportsTheFieldsItWrote) {
  Json target = Json::parse(R"({"spec":{"replicas":1,"template":{"spec":{"tolerations":[1]}}}})");
  auto written = apply_merge_patch(target, Json::parse(R"({"spec":{"replicas":2,
      "template":{"spec":{"tolerations":[2],"nodeSelector":{"gpu":"true"}}},
      "paused":null, "missing":null}})"));
  using Path = std::vector<std::string>;
  EXPECT_EQ(written, (std::vector<Path>{{"spec", "replicas"},
                                        {"spec", "template", "spec", "nodeSelector"},
                                        {"spec", "template", "spec", "tolerations"}}));
}

TEST(MergePatch, AListIsReplacedWhole) {
  Json target = Json::parse(R"({"env":[{"name":"A"}]})");
  apply_merge_patch(target, Json::parse(R"({"env":[{"name":"B"}]})"));
  EXPECT_EQ(target, Json::parse(R"({"env":[{"name":"B"}]})"));
}

}  // namespace
}  // namespace kix
