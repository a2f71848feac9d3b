#include <gtest/gtest.h>

#include "compiler/template.h"

namespace kix::compiler {
namespace {

// A scope with one dependency whose out.host came from resource 4 and
// whose out.port came from resource 5.
class TemplateTest : public ::testing::Test {
 protected:
  TemplateTest() {
    Value db(Json::parse(R"({"out": {"host": "db.ns.svc", "port": 5432}})"));
    auto tree = std::make_shared<ProvenanceTree>();
    tree->children["out"].children["host"].self = {4};
    tree->children["out"].children["port"].self = {5};
    db.parts = tree;
    scope_.set("db", db);
    scope_.set("self", Value(Json::parse(R"({"name": "web"})")));
  }

  Value render(const std::string& json) {
    return render_template(Json::parse(json), TemplateSource{}, scope_);
  }

  MapScope scope_;
};

TEST_F(TemplateTest, WholeExpressionKeepsItsTypeAndProvenance) {
  Value v = render(R"({"port": "${db.out.port}", "url": "postgres://${db.out.host}"})");
  EXPECT_EQ(v.json, Json::parse(R"({"port": 5432, "url": "postgres://db.ns.svc"})"));
  EXPECT_EQ(v.all(), (Provenance{4, 5}));
}

TEST_F(TemplateTest, KeyTakenFromADependencyIsTrackedAsProvenance) {
  Value v = render(R"({"data": {"${db.out.host}": "yes"}})");
  EXPECT_EQ(v.json, Json::parse(R"({"data": {"db.ns.svc": "yes"}})"));
  EXPECT_EQ(v.all(), (Provenance{4}));
}

TEST_F(TemplateTest, TwoKeysRenderingToOneNameAreAnError) {
  try {
    render(R"({"data": {"web": 1, "${self.name}": 2}})");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "two keys of this map render to 'web'");
  }
}

TEST_F(TemplateTest, NullWholeExpressionLeavesTheFieldOut) {
  scope_.set("nothing", Value(nullptr));
  Value v = render(R"({"a": "${nothing}", "b": ["${nothing}", 1]})");
  EXPECT_EQ(v.json, Json::parse(R"({"b": [1]})"));
}

}  // namespace
}  // namespace kix::compiler
