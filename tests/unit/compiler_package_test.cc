// Loading package manifests: malformed ones are errors at their line.
#include <gtest/gtest.h>

#include "compiler/package.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

std::string load_error(const std::string& manifest, const std::string& dir_name = "p") {
  testing::TempTree tree;
  tree.write(dir_name + "/package.yaml", manifest);
  Diagnostics diags;
  try {
    load_package(tree.root() / dir_name, diags);
  } catch (const Error& e) {
    return std::to_string(e.where().line) + ": " + e.message() +
           (e.hint().empty() ? "" : " | " + e.hint());
  }
  return "loaded";
}

TEST(CompilerPackage, LoadsSignatureAndOrdersResourcesByUse) {
  testing::TempTree tree;
  tree.write("p/package.yaml", R"(package: p
needs: [a]
optionalNeeds: [b]
resources:
  svc:
    selects: deploy
    manifest: { apiVersion: v1, kind: Service }
  deploy:
    manifest: { apiVersion: apps/v1, kind: Deployment, spec: { x: "${resources.cm.metadata.name}" } }
  cm:
    manifest: { apiVersion: v1, kind: ConfigMap }
)");
  Diagnostics diags;
  Package p = load_package(tree.root() / "p", diags);
  EXPECT_EQ(p.needs, std::vector<std::string>{"a"});
  EXPECT_EQ(p.optional_needs, std::vector<std::string>{"b"});
  ASSERT_EQ(p.resources.size(), 3u);
  EXPECT_EQ(p.resources[0].key, "cm");
  EXPECT_EQ(p.resources[1].key, "deploy");
  EXPECT_EQ(p.resources[2].key, "svc");
}

TEST(CompilerPackage, UnknownFieldSuggestsTheClosest) {
  EXPECT_EQ(load_error("package: p\nneedz: [a]\n"),
            "2: unknown field 'needz' in a package manifest | did you mean 'needs'?");
  EXPECT_EQ(load_error("package: p\nresources:\n  r:\n    manifest: {}\n    selcts: x\n"),
            "5: unknown field 'selcts' in resource 'r' | did you mean 'selects'?");
}

TEST(CompilerPackage, NameMustMatchTheDirectory) {
  EXPECT_EQ(load_error("package: other\n"),
            "1: package 'other' is in directory 'p' | the package name and its directory name must "
            "be the same");
}

TEST(CompilerPackage, ResourcesUsingEachOtherInACycleAreAnError) {
  std::string error = load_error(R"(package: p
resources:
  a:
    manifest: { x: "${resources.b.x}" }
  b:
    manifest: { x: "${resources.a.x}" }
)");
  EXPECT_NE(error.find("resources refer to each other in a cycle: a -> b -> a"), std::string::npos)
      << error;
}

TEST(CompilerPackage, ChecksNeedAMessageAndOneCondition) {
  EXPECT_NE(load_error("package: p\nchecks:\n  - error: m\n").find("exactly one of 'when'"),
            std::string::npos);
  EXPECT_NE(
      load_error("package: p\nchecks:\n  - when: x\n").find("exactly one of 'error' or 'warn'"),
      std::string::npos);
  EXPECT_NE(
      load_error("package: p\nresources:\n  r:\n    manifest: { x: \"${resources.nope.x}\" }\n")
          .find("refers to resources.nope"),
      std::string::npos);
}

}  // namespace
}  // namespace kix::compiler
