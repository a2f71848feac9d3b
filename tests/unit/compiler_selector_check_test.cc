// Selectors that match no pod of the build (compiler/selector_check.h).
#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

constexpr const char* kWeb = R"(package: web
options:
  selector: { type: object, additionalProperties: true, default: { app: web } }
resources:
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        template:
          spec:
            containers: [{ name: web, image: nginx }]
  derived:
    selects: deploy
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}-derived" }
      spec: { ports: [{ port: 80 }] }
  written:
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        selector: ${config.selector}
        ports: [{ port: 80 }]
)";

constexpr const char* kDb = R"(package: db
resources:
  cluster:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "${self.name}" } }
  primary:
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}-primary" }
      spec:
        selector: { "db.example/cluster": "${self.name}", role: primary }
        ports: [{ port: 5432 }]
out:
  podSelector: { "db.example/cluster": "${self.name}" }
  ports: [5432]
)";

class SelectorCheck : public ::testing::Test {
 protected:
  SelectorCheck() {
    tree_.write("pkgs/web/package.yaml", kWeb);
    tree_.write("pkgs/db/package.yaml", kDb);
  }

  std::vector<std::string> warnings(const std::string& instances) {
    tree_.write("cluster.yaml",
                "cluster: test\npackagePaths: [./pkgs]\navailablePackages: []\n" + instances);
    CompileOptions o;
    o.definition = tree_.root();
    Diagnostics diags;
    Compilation c = compile(o, diags);
    EXPECT_TRUE(c.ok());
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.push_back(d.message);
    return out;
  }

  TempTree tree_;
};

TEST_F(SelectorCheck, ASelectorNoPodCarriesIsAWarningNamingTheWorkload) {
  EXPECT_TRUE(warnings("instances:\n  shop:\n    web: { package: web, config: { selector: { "
                       "app.kubernetes.io/instance: web } } }\n")
                  .empty());
  auto w = warnings("instances:\n  shop:\n    web: { package: web }\n");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "Service 'web' in namespace 'shop' selects app=web, which no pod of this build "
            "carries: it will route to nothing");
}

TEST_F(SelectorCheck, OperatorPodsDeclaredInOutMatch) {
  EXPECT_TRUE(warnings("instances:\n  data:\n    pg: { package: db }\n").empty());
}

}  // namespace
}  // namespace kix::compiler
