// Schema validation of emitted resources maps violations to the template.
#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler/schema_validator.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

constexpr const char* kTypo = R"(package: typo
resources:
  web:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      spec:
        template:
          spec:
            containers:
              - name: web
                image: nginx
                imagePullPolcy: Always
  custom:
    manifest:
      apiVersion: example.com/v1
      kind: Widget
      spec: { size: 1 }
)";

TEST(CompilerValidation, MisspelledFieldIsAnErrorAtTheTemplateLine) {
  testing::TempTree tree;
  tree.write("pkgs/typo/package.yaml", kTypo);
  tree.write("cluster.yaml",
             "cluster: v\npackagePaths: [./pkgs]\ninstances:\n  ns:\n    app: { package: typo }\n");
  SchemaValidator validator(std::filesystem::path(KIX_SOURCE_DIR) / "schema");
  Diagnostics diags;
  CompileOptions options;
  options.definition = tree.root();
  options.validator = &validator;
  Compilation c = compile(options, diags);
  ASSERT_EQ(c.errors.size(), 1u);
  const Error& e = c.errors[0];
  EXPECT_NE(e.message().find("imagePullPolcy"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("Deployment 'app'"), std::string::npos) << e.message();
  EXPECT_NE(e.where().file.find("package.yaml"), std::string::npos);
  EXPECT_EQ(e.where().line, 13);
  ASSERT_EQ(diags.warning_count(), 1u) << "a kind without a schema is a warning";
  EXPECT_NE(diags.items()[0].message.find("example.com/v1 Widget"), std::string::npos);
  EXPECT_EQ(c.graph.manifests.size(), 0u) << "no graph for a definition with errors";
}

}  // namespace
}  // namespace kix::compiler
