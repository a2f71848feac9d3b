// `patches:` of an instance: merge and JSON patches applied to the
// resources of a package, with provenance, module order and the errors at
// the patch's line.
#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

constexpr const char* kDb = R"(package: db
provides: [postgres]
resources:
  config:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}" }
      data: { a: b }
out:
  fqdn: ${resources.config.metadata.name}.${self.namespace}.svc
)";

constexpr const char* kWorker = R"(package: worker
optionalNeeds: [postgres]
options:
  extra: { type: boolean, default: false }
resources:
  deployment:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        template:
          spec:
            tolerations: [{ key: a, operator: Exists }]
            containers:
              - name: worker
                image: worker:1
                env: [{ name: A, value: "1" }]
  service:
    selects: deployment
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        ports: [{ port: 80 }]
  extra:
    when: ${config.extra}
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}-extra" }
out:
  image: ${resources.deployment.spec.template.spec.containers[0].image}
)";

class CompilerPatches : public ::testing::Test {
 protected:
  CompilerPatches() {
    tree_.write("pkgs/db/package.yaml", kDb);
    tree_.write("pkgs/worker/package.yaml", kWorker);
  }

  Compilation compile_text(const std::string& instance, const std::string& more = "") {
    tree_.write("cluster.yaml",
                "cluster: test\npackagePaths: [./pkgs]\navailablePackages: []\n" + more +
                    "instances:\n  ml:\n    worker:\n      package: worker\n" + instance);
    CompileOptions options;
    options.definition = tree_.root();
    return compile(options, diags_);
  }

  static const CompiledResource* find(const Compilation& c, const std::string& kind,
                                      const std::string& name) {
    for (const auto& r : c.resources) {
      if (r.manifest["kind"] == kind && r.manifest["metadata"]["name"] == name) return &r;
    }
    return nullptr;
  }

  std::string first_error(const Compilation& c) {
    if (c.errors.empty()) return "no error";
    std::string where = c.errors[0].where().str();
    std::string prefix = tree_.root().string() + "/";
    if (where.rfind(prefix, 0) == 0) where = where.substr(prefix.size());
    return where + ": " + c.errors[0].message();
  }

  TempTree tree_;
  Diagnostics diags_;
};

TEST_F(CompilerPatches, MergePatchReplacesAListAndRecordsWhereTheValueCameFrom) {
  Compilation c = compile_text(R"(      patches:
        - resource: deployment
          merge:
            spec:
              template:
                spec:
                  tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
                  nodeSelector: { gpu: "true" }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  const CompiledResource* deploy = find(c, "Deployment", "worker");
  ASSERT_NE(deploy, nullptr);
  const Json& pod = deploy->manifest["spec"]["template"]["spec"];
  EXPECT_EQ(pod["tolerations"], Json::parse(R"([{"key":"nvidia.com/gpu","operator":"Exists",
                                                 "effect":"NoSchedule"}])"));
  EXPECT_EQ(pod["nodeSelector"]["gpu"], "true");
  EXPECT_EQ(pod["containers"][0]["image"], "worker:1") << "the rest is left alone";
  EXPECT_TRUE(deploy->manifest["spec"]["template"]["metadata"]["labels"].contains(
      "app.kubernetes.io/instance"))
      << "decoration stays";
  ASSERT_EQ(deploy->patched.size(), 2u);
  EXPECT_EQ(deploy->patched[0].path, "spec.template.spec.nodeSelector");
  EXPECT_EQ(deploy->patched[1].path, "spec.template.spec.tolerations");
  EXPECT_EQ(deploy->patched[1].how, "merge patch");
  EXPECT_EQ(deploy->patched[1].where.line, 14);
  EXPECT_NE(deploy->patched[1].where.file.find("cluster.yaml"), std::string::npos);
  EXPECT_TRUE(find(c, "Service", "worker")->patched.empty());
}

TEST_F(CompilerPatches, JsonPatchAppendsAndLaterTemplatesSeeThePatchedResource) {
  Compilation c = compile_text(R"(      patches:
        - resource: deployment
          jsonPatch:
            - { op: add, path: /spec/template/spec/tolerations/-, value: { key: b, operator: Exists } }
            - { op: replace, path: /spec/template/spec/containers/0/image, value: "worker:2" }
            - { op: test, path: /spec/template/spec/containers/0/env/0/name, value: A }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  const CompiledResource* deploy = find(c, "Deployment", "worker");
  const Json& pod = deploy->manifest["spec"]["template"]["spec"];
  ASSERT_EQ(pod["tolerations"].size(), 2u);
  EXPECT_EQ(pod["tolerations"][1]["key"], "b");
  EXPECT_EQ(c.instances[0].out.json["image"], "worker:2");
  ASSERT_EQ(deploy->patched.size(), 2u);
  EXPECT_EQ(deploy->patched[0].path, "spec.template.spec.tolerations");
  EXPECT_EQ(deploy->patched[0].how, "JSON patch operation 0 (add)");
  EXPECT_EQ(deploy->patched[1].path, "spec.template.spec.containers[0].image");
  EXPECT_EQ(deploy->patched[1].where.line, 12);
}

TEST_F(CompilerPatches, ExpressionsInPatchesCarryProvenance) {
  Compilation c = compile_text(R"(      patches:
        - resource: deployment
          merge:
            metadata: { annotations: { db: "${postgres.out.fqdn}", me: "${self.name}" } }
    db: { package: db, aliases: [postgres] }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  const CompiledResource* deploy = find(c, "Deployment", "worker");
  const CompiledResource* db = find(c, "ConfigMap", "db");
  ASSERT_TRUE(deploy && db);
  EXPECT_EQ(deploy->manifest["metadata"]["annotations"]["db"], "db.ml.svc");
  EXPECT_EQ(deploy->manifest["metadata"]["annotations"]["me"], "worker");
  const size_t db_index = static_cast<size_t>(db - c.resources.data());
  ASSERT_EQ(deploy->patched.size(), 1u);
  EXPECT_EQ(deploy->patched[0].path, "metadata.annotations");
  EXPECT_EQ(deploy->patched[0].prov, Provenance{db_index});
  auto ref = std::find(deploy->refs.begin(), deploy->refs.end(), db_index);
  ASSERT_NE(ref, deploy->refs.end()) << "the dependency is a Merkle edge";
  EXPECT_NE(deploy->ref_reasons[static_cast<size_t>(ref - deploy->refs.begin())].find(
                "metadata.annotations ← patch at"),
            std::string::npos);
}

TEST_F(CompilerPatches, KindAndNameNarrowTheTarget) {
  Compilation c = compile_text(R"(      patches:
        - { resource: deployment, kind: Deployment, name: worker, merge: { spec: { replicas: 3 } } }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  EXPECT_EQ(find(c, "Deployment", "worker")->manifest["spec"]["replicas"], 3);

  Compilation wrong = compile_text(R"(      patches:
        - { resource: deployment, name: other, merge: { spec: { replicas: 3 } } }
)");
  EXPECT_EQ(first_error(wrong),
            "cluster.yaml:9:11: patch 0 of instance 'worker' matches no resource: nothing of "
            "resource 'deployment' has name 'other'");
  EXPECT_NE(wrong.errors[0].hint().find("emits Deployment/worker"), std::string::npos);
}

TEST_F(CompilerPatches, APatchThatTargetsNothingIsAnErrorWithDidYouMean) {
  Compilation c = compile_text(R"(      patches:
        - resource: deploymnet
          merge: { spec: { replicas: 3 } }
)");
  EXPECT_EQ(first_error(c),
            "cluster.yaml:9:11: patch 0 of instance 'worker' targets resource 'deploymnet', "
            "which package 'worker' does not have");
  EXPECT_EQ(c.errors[0].hint(), "did you mean 'deployment'?");

  Compilation off = compile_text(R"(      patches:
        - resource: extra
          merge: { data: { a: b } }
)");
  EXPECT_EQ(first_error(off),
            "cluster.yaml:9:11: patch 0 of instance 'worker' targets resource 'extra', which "
            "this instance does not emit");
}

TEST_F(CompilerPatches, AFailingOperationNamesItsIndexAndPath) {
  Compilation c = compile_text(R"(      patches:
        - resource: deployment
          jsonPatch:
            - { op: add, path: /spec/paused, value: true }
            - { op: add, path: /spec/strategy/type, value: Recreate }
)");
  EXPECT_EQ(first_error(c),
            "cluster.yaml:12:15: operation 1 (add /spec/strategy/type) of patch 0 of instance "
            "'worker' failed on Deployment/worker: path '/spec/strategy' does not exist");

  Compilation test = compile_text(R"(      patches:
        - resource: deployment
          jsonPatch:
            - { op: test, path: /spec/template/spec/containers/0/image, value: "worker:9" }
)");
  EXPECT_NE(first_error(test).find("test failed: '/spec/template/spec/containers/0/image' is "
                                   "\"worker:1\", not \"worker:9\""),
            std::string::npos);
}

TEST_F(CompilerPatches, APatchCannotChangeWhatNamesAResource) {
  Compilation c = compile_text(R"(      patches:
        - resource: service
          merge: { metadata: { name: renamed } }
)");
  EXPECT_EQ(first_error(c),
            "cluster.yaml:9:11: patch 0 of instance 'worker' changes metadata.name of "
            "Service/renamed (from \"worker\" to \"renamed\")");
}

TEST_F(CompilerPatches, MalformedEntriesAreErrorsAtTheirLine) {
  auto error_of = [&](const std::string& patches) {
    try {
      compile_text(patches);
    } catch (const Error& e) {
      std::string where = e.where().str();
      std::string prefix = tree_.root().string() + "/";
      if (where.rfind(prefix, 0) == 0) where = where.substr(prefix.size());
      return where + ": " + e.message() + " | " + e.hint();
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("      patches:\n        - resource: deployment\n          marge: {}\n"),
            "cluster.yaml:10:11: unknown field 'marge' in patch 0 of instance 'worker' | did you "
            "mean 'merge'?");
  EXPECT_EQ(error_of("      patches:\n        - resource: deployment\n"),
            "cluster.yaml:9:11: patch 0 of instance 'worker' has no 'merge' or 'jsonPatch' | give "
            "one: `merge:` a map merged into the resource (RFC 7386), or `jsonPatch:` a list of "
            "operations (RFC 6902); write two entries for both");
  EXPECT_EQ(error_of("      patches:\n        - resource: deployment\n          jsonPatch:\n"
                     "            - { op: ad, path: /a, value: 1 }\n"),
            "cluster.yaml:11:21: unknown op 'ad' in operation 0 of patch 0 of instance 'worker' | "
            "did you mean 'add'?");
  EXPECT_EQ(error_of("      patches:\n        - resource: deployment\n          jsonPatch:\n"
                     "            - { op: add, path: a/b, value: 1 }\n"),
            "cluster.yaml:11:32: 'path' of operation 0 of patch 0 of instance 'worker' is not a "
            "JSON Pointer | start it with '/', and write '~1' for '/' and '~0' for '~' inside a "
            "key (/metadata/annotations/example.com~1owner)");
  EXPECT_EQ(error_of("      patches: { resource: deployment }\n"),
            "cluster.yaml:8:7: 'patches' of instance 'worker' must be a list | write `patches:` "
            "followed by `- resource: <key>` entries");
}

TEST_F(CompilerPatches, AnExternalInstanceCannotBePatched) {
  tree_.write("cluster.yaml", R"(cluster: test
packagePaths: [./pkgs]
instances:
  ml:
    db:
      external: true
      out: { fqdn: db.example.com }
      patches: [{ resource: config, merge: {} }]
)");
  CompileOptions options;
  options.definition = tree_.root();
  try {
    compile(options, diags_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 8);
    EXPECT_EQ(e.message(), "external instance 'db' has 'patches', but kix emits nothing for it");
  }
}

TEST_F(CompilerPatches, PatchesOfModulesApplyInModuleOrder) {
  tree_.write("gpu.yaml", R"(instances:
  ml:
    worker:
      patches:
        - resource: deployment
          jsonPatch: [{ op: add, path: /spec/template/spec/tolerations/-, value: { key: gpu } }]
)");
  Compilation c = compile_text(R"(      patches:
        - resource: deployment
          jsonPatch: [{ op: add, path: /spec/template/spec/tolerations/-, value: { key: main } }]
)",
                               "modules: [gpu.yaml]\n");
  ASSERT_TRUE(c.ok()) << first_error(c);
  const CompiledResource* deploy = find(c, "Deployment", "worker");
  const Json& tolerations = deploy->manifest["spec"]["template"]["spec"]["tolerations"];
  ASSERT_EQ(tolerations.size(), 3u);
  EXPECT_EQ(tolerations[1]["key"], "main");
  EXPECT_EQ(tolerations[2]["key"], "gpu");
  ASSERT_EQ(deploy->patched.size(), 2u);
  EXPECT_NE(deploy->patched[1].where.file.find("gpu.yaml"), std::string::npos);
  EXPECT_EQ(deploy->patched[1].where.line, 6);
}

TEST_F(CompilerPatches, PatchedResourcesAreValidatedAndHashed) {
  Compilation plain = compile_text("");
  Compilation patched = compile_text(R"(      patches:
        - { resource: deployment, merge: { spec: { replicas: 2 } } }
)");
  ASSERT_TRUE(plain.ok() && patched.ok()) << first_error(patched);
  auto node = [](const Compilation& c, const std::string& kind) {
    for (size_t i = 0; i < c.resources.size(); ++i) {
      if (c.resources[i].manifest["kind"] == kind) return c.graph.nodes[i];
    }
    return Hash{};
  };
  EXPECT_NE(node(plain, "Deployment"), node(patched, "Deployment"));
}

}  // namespace
}  // namespace kix::compiler
