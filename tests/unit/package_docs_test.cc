#include "compiler/package_docs.h"

#include <gtest/gtest.h>

namespace kix::compiler {
namespace {

TEST(PackageDocs, DefaultsReadAsJsonWithSpaces) {
  EXPECT_EQ(readable_json(Json::parse(R"({"b":[1,"x"],"a":{"c":null}})")),
            R"({"a": {"c": null}, "b": [1, "x"]})");
  EXPECT_EQ(readable_json(Json("a\"b")), R"("a\"b")");
  EXPECT_EQ(readable_json(Json::array()), "[]");
}

TEST(PackageDocs, ThePartIsReplacedBetweenItsMarkers) {
  const std::string readme = std::string("# p\n\nIntro.\n\n") + kPackageDocsBegin + "\nold\n" +
                             kPackageDocsEnd + "\n\n## Checks\n\nMine.\n";
  const std::string docs = std::string(kPackageDocsBegin) + "\nnew\n" + kPackageDocsEnd + "\n";
  EXPECT_EQ(replace_package_docs(readme, docs),
            std::string("# p\n\nIntro.\n\n") + docs + "\n## Checks\n\nMine.\n");
  EXPECT_EQ(replace_package_docs("# p\n", docs), std::nullopt);
  EXPECT_EQ(replace_package_docs(std::string(kPackageDocsBegin) + "\nno end\n", docs),
            std::nullopt);
}

TEST(PackageDocs, TheTableAndTheOutContract) {
  Package p;
  p.name = "db";
  p.needs = {"storage"};
  p.provides = {"postgres"};
  p.options = Json::parse(R"json({
    "size": {"type": "string", "default": "1Gi", "description": "Size of the\nvolume | disk"},
    "host": {"type": "string", "required": true, "description": "Host (default <instance>)"},
    "mode": {"enum": ["a", "b"]}})json");
  p.doc.value = Json::parse(R"({"out": {"host": "${config.host}", "port": 5432}})");
  const std::string docs = package_docs(p);
  EXPECT_NE(docs.find("- needs: `storage`\n- optional needs (null when nothing matches): none\n"),
            std::string::npos)
      << docs;
  EXPECT_NE(docs.find("for a need named: `db`, `postgres`\n"), std::string::npos) << docs;
  EXPECT_NE(docs.find("| `host` | string | **required** | Host (default \\<instance\\>) |\n"
                      "| `mode` | any | — | One of `\"a\"`, `\"b\"`. |\n"
                      "| `size` | string | `\"1Gi\"` | Size of the volume \\| disk |\n"),
            std::string::npos)
      << docs;
  EXPECT_NE(docs.find("- `host`: `${config.host}`\n- `port`: `5432`\n"), std::string::npos)
      << docs;
  EXPECT_NE(docs.find("under `out` (`host`, `port`)"), std::string::npos) << docs;
  EXPECT_EQ(docs.rfind(kPackageDocsEnd), docs.size() - std::string(kPackageDocsEnd).size() - 1);
}

}  // namespace
}  // namespace kix::compiler
