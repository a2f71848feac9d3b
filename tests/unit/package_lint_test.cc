#include "compiler/package_lint.h"

#include <gtest/gtest.h>

#include "compiler/package_docs.h"
#include "compiler/package_tests.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

// The rules lint finds in package `p` with `manifest` as its package.yaml
// (a README and a test are written, so only the manifest's findings show).
std::vector<std::string> rules(const std::string& manifest) {
  TempTree tree;
  tree.write("p/package.yaml", "package: p\ndescription: P.\n" + manifest);
  tree.write("p/test/cluster.yaml", "cluster: t\n");
  Diagnostics diags;
  Package p = load_package(tree.root() / "p", diags);
  tree.write("p/README.md", "# p\n\n" + package_docs(p));
  std::vector<std::string> out;
  for (const LintFinding& f : lint_package(p, nullptr)) {
    out.push_back(f.rule + (f.is_error ? "!" : "") + "@" + std::to_string(f.where.line));
  }
  return out;
}

TEST(PackageLint, OptionsAreReadInEveryForm) {
  EXPECT_EQ(rules(R"(options:
  a: { type: string, description: A. }
  b: { type: string, description: B. }
  c: { type: string, description: C. }
  d: { type: string, description: D. }
out:
  x: ${config.a}
  y: "${self.config.b}"
  z: "${has(config['c']) ? 1 : 2}"
)"),
            (std::vector<std::string>{"unused-option@7"}));
}

TEST(PackageLint, ConfigPassedWholeMayReadAnyOption) {
  EXPECT_EQ(rules(R"(options:
  a: { type: string, description: A. }
out:
  all: ${config}
)"),
            std::vector<std::string>{});
  EXPECT_EQ(rules(R"(options:
  a: { type: string, description: A. }
out:
  keys: ${config.keys()}
)"),
            std::vector<std::string>{});
  // self.name is not the configuration.
  EXPECT_EQ(rules(R"(options:
  a: { type: string, description: A. }
out:
  n: ${self.name}
)"),
            (std::vector<std::string>{"unused-option@4"}));
}

TEST(PackageLint, UnknownOptionsAreErrorsWithASuggestion) {
  TempTree tree;
  tree.write("p/package.yaml", R"(package: p
description: P.
options:
  replicas: { type: integer, default: 1, description: R. }
out:
  n: ${config.replica + config.replicas}
)");
  Diagnostics diags;
  Package p = load_package(tree.root() / "p", diags);
  auto findings = lint_package(p, nullptr);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].rule, "unknown-option");
  EXPECT_TRUE(findings[0].is_error);
  EXPECT_EQ(findings[0].where.line, 6);
  EXPECT_EQ(findings[0].hint, "did you mean 'replicas'?");
}

TEST(PackageLint, ChecksAreJudgedOverEveryValueOfWhatTheyRead) {
  const std::string options = R"(options:
  on: { type: boolean, default: false, description: On. }
  size: { type: string, enum: [s, m, l], default: s, description: Size. }
  tier: { type: string, enum: [x, y], description: Tier (may be absent). }
  name: { type: string, default: n, description: Name. }
)";
  // Fires for some values: nothing to say.
  EXPECT_EQ(rules(options + R"(checks:
  - error: "e"
    when: ${config.on && config.size == 'l' && !has(config.tier) && config.name != ''}
)"),
            std::vector<std::string>{});
  EXPECT_EQ(
      rules(options + R"(checks:
  - error: "e"
    when: ${config.on && config.size == 'l'}
  - warn: "w"
    when: ${config.size == 'xl'}
  - error: "e"
    unless: ${config.on || !config.on}
  - error: "e"
    unless: ${config.size != 's' || config.on}
  - error: "e"
    when: ${has(config.tier) && !has(config.tier)}
  - warn: "w"
    unless: "false"
)"),
      (std::vector<std::string>{"unused-option@7", "check-never-fires@12", "check-never-fires@14",
                                "check-never-fires@18", "check-always-fires@20"}));
  // `tier` has no default and is not required: it may be absent, which
  // `has` sees; a check that reads it only when present can still fire.
  EXPECT_EQ(rules(options + R"(checks:
  - error: "e"
    when: ${!has(config.tier)}
)"),
            (std::vector<std::string>{"unused-option@4", "unused-option@5", "unused-option@7"}));
}

TEST(PackageLint, ChecksAreJudgedThroughLetBindings) {
  EXPECT_EQ(rules(R"(options:
  ha: { type: boolean, default: false, description: HA. }
let:
  replicas: "${config.ha ? 3 : 1}"
checks:
  - error: "e"
    when: ${replicas == 2}
out:
  r: ${replicas}
)"),
            (std::vector<std::string>{"check-never-fires@9"}));
  // A binding that reads a need: not judged.
  EXPECT_EQ(rules(R"(optionalNeeds: [db]
options:
  ha: { type: boolean, default: false, description: HA. }
let:
  hasDb: ${db != null && config.ha}
checks:
  - error: "e"
    when: ${hasDb && false}
)"),
            std::vector<std::string>{});
}

TEST(PackageLint, DocumentationAndTests) {
  TempTree tree;
  tree.write("p/package.yaml",
             "package: p\noptions:\n  a: { type: string }\nout: { a: \"${config.a}\" }\n");
  Diagnostics diags;
  Package p = load_package(tree.root() / "p", diags);
  std::vector<std::string> found;
  for (const LintFinding& f : lint_package(p, nullptr)) found.push_back(f.rule);
  EXPECT_EQ(found, (std::vector<std::string>{"undocumented-package", "undocumented-option",
                                             "readme-missing", "no-test"}));
  tree.write("p/test/case/cluster.yaml", "cluster: t\n");
  EXPECT_EQ(find_package_tests(tree.root() / "p").size(), 1u);
  EXPECT_EQ(find_package_tests(tree.root() / "p")[0].name, "test/case");
}

TEST(PackageTests, ExpectedErrorLinesSkipCommentsAndBlanks) {
  EXPECT_EQ(expected_error_lines("# c\n\n  port 80 is below  \n\t#x\nsecond\n"),
            (std::vector<std::string>{"port 80 is below", "second"}));
  const std::string text = expected_errors_text({"one\nhint", "two"});
  EXPECT_EQ(expected_error_lines(text), (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace kix::compiler
