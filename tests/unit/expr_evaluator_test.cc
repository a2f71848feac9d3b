#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "compiler/evaluator.h"
#include "manifest/quantity.h"

namespace kix::compiler {
namespace {

class ExprTest : public ::testing::Test {
 protected:
  ExprTest() {
    scope_.set("cfg",
               Value(Json::parse(R"({"size":"10Gi","replicas":3,"tags":["a","b"],"on":true})")));
    Value cache(Json::parse(R"({"name":"valkey","out":{"fqdn":"valkey.ns.svc","port":6379}})"));
    auto tree = std::make_shared<ProvenanceTree>();
    tree->children["out"].children["fqdn"].self = {7};
    tree->children["out"].children["port"].self = {9};
    cache.parts = tree;
    scope_.set("cache", cache);
    scope_.set("missing", Value(nullptr));
  }

  Value eval(const std::string& text) {
    return evaluate_text(text, scope_, ExprSite{{"pkg.yaml", 12, 5}, text});
  }
  Json json(const std::string& text) { return eval(text).json; }

  MapScope scope_;
};

TEST_F(ExprTest, LiteralsAndArithmetic) {
  EXPECT_EQ(json("1 + 2 * 3"), 7);
  EXPECT_EQ(json("(1 + 2) * 3"), 9);
  EXPECT_EQ(json("'a' + \"b\""), "ab");
  EXPECT_EQ(json("[1] + [2]"), Json::parse("[1,2]"));
  EXPECT_EQ(json("{'a': 1} + {'b': 2}"), Json::parse(R"({"a":1,"b":2})"));
  EXPECT_EQ(json("-cfg.replicas"), -3);
  EXPECT_EQ(json("7 % 4"), 3);
  EXPECT_EQ(json("null"), nullptr);
}

TEST_F(ExprTest, ComparisonsAndBooleans) {
  EXPECT_EQ(json("cfg.replicas > 2 && cfg.on"), true);
  EXPECT_EQ(json("cfg.replicas == 3 ? 'three' : 'other'"), "three");
  EXPECT_EQ(json("!cfg.on || false"), false);
  EXPECT_EQ(json("'a' in cfg.tags"), true);
  EXPECT_EQ(json("'size' in cfg"), true);
  EXPECT_EQ(json("'c' in cfg.tags"), false);
}

TEST_F(ExprTest, ShortCircuitSkipsInvalidRightSide) {
  EXPECT_EQ(json("false && cfg.nothing.here"), false);
  EXPECT_EQ(json("true || cfg.nothing.here"), true);
}

TEST_F(ExprTest, QuantitiesCompareNumerically) {
  EXPECT_EQ(json("quantity('10Gi') < quantity('50Gi')"), true);
  EXPECT_EQ(json("quantity('500m') < quantity('1')"), true);
  EXPECT_EQ(json("quantity('1Gi') > quantity('1G')"), true);
  EXPECT_EQ(parse_quantity("1Ki"), 1024.0);
  EXPECT_EQ(parse_quantity("2e3"), 2000.0);
  EXPECT_FALSE(parse_quantity("ten").has_value());
  EXPECT_FALSE(parse_quantity("1.2.3Gi").has_value());
}

TEST_F(ExprTest, VersionsCompareAsNumbers) {
  EXPECT_EQ(json("semver('v1.133.0')"), 1133000);
  EXPECT_EQ(json("semver('1.133')"), 1133000);
  EXPECT_EQ(json("semver('2.0.1-rc.1')"), 2000001);
  EXPECT_EQ(json("'v1.131.1'.semver() < semver('v1.133.0')"), true);
  EXPECT_EQ(json("semver('release')"), nullptr);
  EXPECT_EQ(json("semver('1')"), nullptr);
  EXPECT_EQ(json("semver('1.2.3.4')"), nullptr);
  EXPECT_EQ(json("semver('1.1000.0')"), nullptr);
  EXPECT_THROW(json("semver(5)"), Error);
}

TEST_F(ExprTest, FunctionsAndMethods) {
  EXPECT_EQ(json("size(cfg.tags)"), 2);
  EXPECT_EQ(json("cfg.tags.size()"), 2);
  EXPECT_EQ(json("has(cfg.size)"), true);
  EXPECT_EQ(json("has(cfg.nope)"), false);
  EXPECT_EQ(json("join(cfg.tags, ',')"), "a,b");
  EXPECT_EQ(json("cfg.tags.join('-')"), "a-b");
  EXPECT_EQ(json("string(cfg.replicas)"), "3");
  EXPECT_EQ(json("int('42')"), 42);
  EXPECT_EQ(json("cfg.size.startsWith('10')"), true);
  EXPECT_EQ(json("cfg.size.lowerAscii()"), "10gi");
  EXPECT_EQ(json("'a.b.c'.split('.')"), Json::parse(R"(["a","b","c"])"));
  EXPECT_EQ(json("'x-y'.replace('-', '_')"), "x_y");
  EXPECT_EQ(json("cfg.size.matches('^[0-9]+Gi$')"), true);
  EXPECT_EQ(json("type(cfg.tags)"), "list");
  EXPECT_EQ(json("default(missing, 5)"), 5);
}

TEST_F(ExprTest, ListMacros) {
  EXPECT_EQ(json("cfg.tags.exists(t, t == 'b')"), true);
  EXPECT_EQ(json("cfg.tags.all(t, size(t) == 1)"), true);
  EXPECT_EQ(json("cfg.tags.map(t, t + '!')"), Json::parse(R"(["a!","b!"])"));
  EXPECT_EQ(json("[1, 2, 3, 4].filter(n, n % 2 == 0)"), Json::parse("[2,4]"));
  EXPECT_EQ(json("cfg.exists(k, k == 'on')"), true);
}

TEST_F(ExprTest, MissingAttributeNamesFileLineAndPath) {
  try {
    eval("cache.out.sentinelPort");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.message(),
              "attribute 'sentinelPort' missing at pkg.yaml:12 in: cache.out.sentinelPort");
    EXPECT_NE(e.hint().find("fqdn, port"), std::string::npos);
  }
}

TEST_F(ExprTest, UnknownNameSuggestsTheClosest) {
  try {
    eval("cahce.out.fqdn");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "unknown name 'cahce'");
    EXPECT_NE(e.hint().find("did you mean 'cache'?"), std::string::npos);
  }
}

TEST_F(ExprTest, TypeErrorsAreClear) {
  try {
    eval("cfg.size < '50Gi' + 1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "operator '+' cannot combine a string with an integer");
  }
  EXPECT_ERROR_KIND(eval("cfg.size < 50"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(eval("missing.out"), ErrorKind::kNotFound);
}

TEST_F(ExprTest, SyntaxErrorsPointIntoTheExpression) {
  try {
    eval("cfg.size <");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("syntax error"), std::string::npos);
    EXPECT_EQ(e.where().line, 12);
  }
}

TEST_F(ExprTest, ProvenanceFollowsTheValuesRead) {
  EXPECT_EQ(eval("cache.out.fqdn").all(), (Provenance{7}));
  EXPECT_EQ(eval("cache.out.port").all(), (Provenance{9}));
  EXPECT_EQ(eval("cache.out.fqdn + ':' + string(cache.out.port)").all(), (Provenance{7, 9}));
  EXPECT_EQ(eval("cache.name").all(), Provenance{});
  EXPECT_EQ(eval("cache.out").all(), (Provenance{7, 9}));
  EXPECT_EQ(eval("cfg.replicas + 1").all(), Provenance{});
}

// An attribute path from a name is walked by reference; it must give what
// reading one attribute at a time from a copy of the named value gives
// (Value::child, step by step): the same value, provenance and finer
// provenance. A missing attribute is the same error as from a copy.
TEST_F(ExprTest, AttributePathsFromANameAreReadAsFromACopy) {
  Value deep(Json::parse(R"({"a":{"b":{"c":1,"d":[2]},"e":3},"f":null})"), Provenance{4});
  auto tree = std::make_shared<ProvenanceTree>();
  tree->children["a"].self = {5};
  tree->children["a"].children["b"].children["c"].self = {6};
  tree->children["a"].children["e"].self = {8};
  tree->children["f"].self = {2};
  deep.parts = tree;
  scope_.set("deep", deep);
  const std::vector<std::vector<std::string>> paths = {{"a"},           {"a", "b"}, {"a", "b", "c"},
                                                       {"a", "b", "d"}, {"a", "e"}, {"f"}};
  for (const auto& path : paths) {
    std::string text = "deep";
    Value expected = deep;
    for (const std::string& key : path) {
      text += "." + key;
      expected = expected.child(key, expected.json[key]);
    }
    SCOPED_TRACE(text);
    Value got = eval(text);
    EXPECT_EQ(got.json, expected.json);
    EXPECT_EQ(got.prov, expected.prov);
    EXPECT_EQ(got.all(), expected.all());
    EXPECT_EQ(got.parts == nullptr, expected.parts == nullptr);
  }
  EXPECT_EQ(eval("deep.a.b.c").all(), (Provenance{4, 5, 6}));
  // `(x ? deep : deep)` evaluates to a copy of deep: the path is read from it.
  for (const std::string path : {".x", ".a.x", ".a.b.c.x", ".f.x", ".a.b.d.x"}) {
    SCOPED_TRACE(path);
    std::string by_name;
    std::string from_copy;
    try {
      eval("deep" + path);
    } catch (const Error& e) {
      by_name = e.message().substr(0, e.message().find(" in: ")) + " | " + e.hint();
    }
    try {
      eval("(true ? deep : deep)" + path);
    } catch (const Error& e) {
      from_copy = e.message().substr(0, e.message().find(" in: ")) + " | " + e.hint();
    }
    // The messages quote the expression; as written, the two differ.
    const std::string copied = "(true ? deep : deep)";
    for (size_t at; (at = from_copy.find(copied)) != std::string::npos;) {
      from_copy.replace(at, copied.size(), "deep");
    }
    EXPECT_FALSE(by_name.empty());
    EXPECT_EQ(by_name, from_copy);
  }
}

}  // namespace
}  // namespace kix::compiler

namespace kix::compiler {
namespace {

TEST(ExprLimits, IntegerOverflowIsAnError) {
  MapScope scope;
  ExprSite site{{"p.yaml", 1, 1}, "x"};
  EXPECT_ERROR_KIND(evaluate_text("9223372036854775807 + 1", scope, site),
                    ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(evaluate_text("4611686018427387904 * 4", scope, site),
                    ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(evaluate_text("1 / 0", scope, site), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(evaluate_text("int(1e300)", scope, site), ErrorKind::kInvalidInput);
  EXPECT_FALSE(parse_quantity(std::string(400, '9') + "Gi").has_value());
}

TEST(ExprLimits, NegatingTheSmallestIntegerIsAnOverflowError) {
  MapScope scope;
  ExprSite site{{"p.yaml", 1, 1}, "x"};
  EXPECT_EQ(evaluate_text("-(-9223372036854775807)", scope, site).json, INT64_MAX);
  EXPECT_ERROR_KIND(evaluate_text("-(-9223372036854775807 - 1)", scope, site),
                    ErrorKind::kInvalidInput);
}

TEST(ExprLimits, FloatOverflowIsAnErrorAtTheExpression) {
  MapScope scope;
  ExprSite site{{"p.yaml", 3, 7}, "1e308 * 10"};
  try {
    evaluate_text("1e308 * 10", scope, site);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 3);
    EXPECT_EQ(e.message(), "number overflow in '*'");
  }
  EXPECT_ERROR_KIND(evaluate_text("1.5 % 2", scope, site), ErrorKind::kInvalidInput);
}

TEST(ExprLimits, InfiniteOrMalformedQuantitiesAreNotQuantities) {
  EXPECT_FALSE(parse_quantity("1e999").has_value());
  EXPECT_FALSE(parse_quantity("1e+-").has_value());
  EXPECT_FALSE(parse_quantity("1e").has_value());
  EXPECT_EQ(parse_quantity("1e-3"), 0.001);
  MapScope scope;
  ExprSite site{{"p.yaml", 1, 1}, "x"};
  EXPECT_ERROR_KIND(evaluate_text("quantity('1e999') > 0", scope, site), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kix::compiler
