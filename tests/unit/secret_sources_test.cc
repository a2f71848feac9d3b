#include "manifest/secret_sources.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "cluster/drift.h"
#include "cluster/live_secret.h"
#include "tests/unit/error_kind.h"

namespace kix {
namespace {

Json generated(const Json& data) {
  return {{"apiVersion", "kix.dev/v1"},
          {"kind", "GeneratedSecret"},
          {"metadata", {{"name", "db"}, {"namespace", "app"}}},
          {"data", data}};
}

Json required(const Json& keys) {
  return {{"apiVersion", "kix.dev/v1"},
          {"kind", "RequiredSecret"},
          {"metadata", {{"name", "api"}, {"namespace", "app"}}},
          {"keys", keys}};
}

// The message of the error reading `manifest` throws, with its hint.
std::string read_error(const Json& manifest) {
  try {
    read_secret_source(manifest, {"in.yaml", 3});
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(e.where().line, 3);
    return e.message() + " | " + e.hint();
  }
  ADD_FAILURE() << "no error for " << manifest.dump();
  return {};
}

TEST(SecretSources, ReadsARecipe) {
  SecretSource s =
      read_secret_source(generated({{"username", {{"value", "immich"}}},
                                    {"password", {{"length", 32}}},
                                    {"token", {{"length", 8}, {"alphabet", "hex"}}},
                                    {"pin", {{"length", 6}, {"characters", "0123456789"}}}}));
  EXPECT_TRUE(s.generated);
  EXPECT_EQ(s.type, "Opaque");
  EXPECT_EQ(s.keys, (std::vector<std::string>{"password", "pin", "token", "username"}));
  ASSERT_EQ(s.values.size(), 4u);
  EXPECT_EQ(s.values[0].alphabet_name, "alphanumeric");
  EXPECT_EQ(s.values[0].alphabet.size(), 62u);
  EXPECT_NEAR(s.values[0].entropy_bits(), 32 * std::log2(62.0), 1e-9);
  EXPECT_EQ(s.values[1].alphabet, "0123456789");
  EXPECT_EQ(s.values[2].alphabet, "0123456789abcdef");
  EXPECT_EQ(*s.values[3].fixed, "immich");
  EXPECT_EQ(s.values[3].entropy_bits(), 0);
}

TEST(SecretSources, ReadsARequirement) {
  Json r = required({"api-key", "url"});
  r["description"] = "make a key in the web UI";
  SecretSource s = read_secret_source(r);
  EXPECT_FALSE(s.generated);
  EXPECT_EQ(s.keys, (std::vector<std::string>{"api-key", "url"}));
  EXPECT_EQ(s.description, "make a key in the web UI");
  EXPECT_EQ(create_secret_command(s),
            "kubectl create secret generic api -n app --from-literal=api-key=... "
            "--from-literal=url=...");
}

TEST(SecretSources, EveryMistakeIsNamed) {
  EXPECT_NE(read_error(required(Json::array())).find("keys: must list"), std::string::npos);
  EXPECT_NE(read_error(required({"a b"})).find("'a b' is not a Secret key"), std::string::npos);
  EXPECT_NE(read_error(required({"a", "a"})).find("'a' is listed twice"), std::string::npos);
  Json typo = required({"a"});
  typo["descripton"] = "x";
  EXPECT_NE(read_error(typo).find("did you mean 'description'?"), std::string::npos);
  Json no_ns = required({"a"});
  no_ns["metadata"].erase("namespace");
  EXPECT_NE(read_error(no_ns).find("metadata.namespace: is missing"), std::string::npos);

  EXPECT_NE(read_error(generated({{"p", {{"length", 8}, {"value", "x"}}}})).find("both"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", Json::object()}})).find("neither"), std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"length", 0}}}})).find("from 1 to 4096"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"length", "32"}}}})).find("from 1 to 4096"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"length", 8}, {"alphabet", "alphanumerc"}}}}))
                .find("did you mean 'alphanumeric'?"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"length", 8}, {"characters", "aaaa"}}}}))
                .find("at least 2 distinct"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"length", 8}, {"characters", "a b"}}}}))
                .find("not printable ASCII"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"p", {{"lenght", 8}}}})).find("did you mean 'length'?"),
            std::string::npos);
  EXPECT_NE(read_error(generated({{"user", {{"value", "x"}}}})).find("nothing is generated"),
            std::string::npos);
  EXPECT_NE(read_error(generated(Json::object())).find("data: must map"), std::string::npos);
}

TEST(SecretSources, AManifestWithABadRecipeIsRefusedWhereItIsRead) {
  EXPECT_ERROR_KIND(make_manifest(required(Json::array()), {"x.yaml", 1}),
                    ErrorKind::kInvalidInput);
  // Other groups' kinds of the same name are not kix's.
  Json other = required(Json::array());
  other["apiVersion"] = "example.com/v1";
  EXPECT_NO_THROW(make_manifest(other, {"x.yaml", 1}));
}

TEST(SecretSources, ASecretAndItsRecipeCannotBothBeInABuild) {
  Manifest recipe = make_manifest(generated({{"p", {{"length", 8}}}}), {"a.yaml", 1});
  Manifest secret = make_manifest(
      Json::parse(
          R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"}})"),
      {"b.yaml", 1});
  EXPECT_ERROR_KIND(check_unique_identities({recipe, secret}), ErrorKind::kConflict);
  Json required_db = required({"p"});
  required_db["metadata"]["name"] = "db";
  EXPECT_ERROR_KIND(check_unique_identities({recipe, make_manifest(required_db, {"c.yaml", 1})}),
                    ErrorKind::kConflict);
}

TEST(SecretSources, GeneratesTheRecipe) {
  Json recipe = generated({{"username", {{"value", "immich"}}},
                           {"password", {{"length", 40}, {"alphabet", "base64url"}}}});
  recipe["type"] = "kubernetes.io/basic-auth";
  recipe["metadata"]["labels"] = {{"app", "db"}};
  SecretSource source = read_secret_source(recipe);
  Json a = generate_secret(source);
  Json b = generate_secret(source);
  EXPECT_EQ(a["kind"], "Secret");
  EXPECT_EQ(a["type"], "kubernetes.io/basic-auth");
  EXPECT_EQ(a["metadata"]["name"], "db");
  EXPECT_EQ(a["metadata"]["namespace"], "app");
  EXPECT_EQ(a["metadata"]["labels"]["app"], "db");
  EXPECT_EQ(a["metadata"]["annotations"][kGeneratedByAnnotation], "true");
  EXPECT_EQ(a["stringData"]["username"], "immich");
  const std::string password = a["stringData"]["password"];
  EXPECT_EQ(password.size(), 40u);
  for (char c : password) {
    EXPECT_NE(source.values[0].alphabet.find(c), std::string::npos) << c;
  }
  EXPECT_NE(a["stringData"]["password"], b["stringData"]["password"]);
}

TEST(SecretSources, EveryCharacterIsEquallyLikely) {
  // 3 characters: 256 is not a multiple of 3, so taking a byte modulo 3
  // would favour the first (86/256 against 85/256): 1,007,812 of 3,000,000
  // draws instead of 1,000,000. The standard deviation of a count is about
  // 816, so ±4,000 (4.9 sigma) passes a uniform generator and fails that bias.
  SecretSource source =
      read_secret_source(generated({{"p", {{"length", 8}, {"characters", "abc"}}}}));
  source.values[0].length = 3000000;  // above the recipe limit, for statistics only
  std::map<char, size_t> counts;
  for (char c : generate_secret(source)["stringData"]["p"].get<std::string>()) ++counts[c];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [c, n] : counts) {
    EXPECT_GT(n, 996000u) << c;
    EXPECT_LT(n, 1004000u) << c;
  }
}

TEST(LiveSecret, ReadsKeyNamesOnly) {
  ResourceId id{"v1", "Secret", "app", "api"};
  auto argv = live_secret_command("kubectl", "prod", id);
  EXPECT_EQ(argv[1], "--context");
  EXPECT_EQ(argv.back().rfind("-o=go-template=", 0), 0u);
  EXPECT_FALSE(parse_live_secret("", id).exists);
  LiveSecret live = parse_live_secret("kix-secret-exists\nurl\napi-key\n", id);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(live.keys, (std::vector<std::string>{"api-key", "url"}));
  EXPECT_ERROR_KIND(parse_live_secret("{\"kind\":\"Secret\"}", id), ErrorKind::kIo);

  SecretSource source = read_secret_source(required({"api-key", "token"}));
  auto problem = required_secret_problem(source, live);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("lacks the key token (it has api-key, url)"), std::string::npos);
  problem = required_secret_problem(source, LiveSecret{});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("does not exist"), std::string::npos);
  EXPECT_NE(problem->find("kubectl create secret generic api -n app"), std::string::npos);
  EXPECT_FALSE(required_secret_problem(source, LiveSecret{true, {"api-key", "token", "x"}}));
}

TEST(LiveSecret, DriftComparesKeysNeverValues) {
  Manifest recipe = make_manifest(
      generated({{"username", {{"value", "u"}}}, {"password", {{"length", 8}}}}), {"a.yaml", 1});
  Json live_secret = Json::parse(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"app"},
          "data":{"username":"dQ==","password":"aHVudGVyMg=="}})");
  DiffReport same = diff_against_live({recipe}, {make_manifest(live_secret, {})});
  EXPECT_TRUE(same.resources.empty());
  EXPECT_EQ(same.identical, 1u);

  live_secret["data"].erase("password");
  DiffReport lacking = diff_against_live({recipe}, {make_manifest(live_secret, {})});
  ASSERT_EQ(lacking.resources.size(), 1u);
  EXPECT_EQ(lacking.resources[0].status, DiffStatus::kModified);
  ASSERT_EQ(lacking.resources[0].changes.size(), 1u);
  EXPECT_EQ(lacking.resources[0].changes[0].path, "$.data.password");

  DiffReport missing = diff_against_live({recipe}, {});
  ASSERT_EQ(missing.resources.size(), 1u);
  EXPECT_EQ(missing.resources[0].status, DiffStatus::kLeftOnly);
}

}  // namespace
}  // namespace kix
