// The package language beyond plain templates: forEach, let, required and
// optional options, compiled end to end on small packages.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/compiler.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

// A database whose out carries a Service name, for provenance.
constexpr const char* kDb = R"(package: db
resources:
  service:
    manifest:
      apiVersion: v1
      kind: Service
      spec: { ports: [{ port: 5432 }] }
out:
  host: ${resources.service.metadata.name}.${self.namespace}.svc
)";

class CompilerPackageLanguage : public ::testing::Test {
 protected:
  CompilerPackageLanguage() { tree_.write("pkgs/db/package.yaml", kDb); }

  void package(const std::string& name, const std::string& text) {
    tree_.write("pkgs/" + name + "/package.yaml", "package: " + name + "\n" + text);
  }

  Compilation compile_text(const std::string& definition) {
    tree_.write("cluster.yaml", "cluster: test\npackagePaths: [./pkgs]\n" + definition);
    CompileOptions options;
    options.definition = tree_.root();
    return compile(options, diags_);
  }

  // "file:line: message | hint" of the first error, reported or thrown,
  // the file relative to the temporary tree.
  std::string first_error(const std::string& definition) {
    try {
      Compilation c = compile_text(definition);
      if (c.errors.empty()) return "no error";
      return shown(c.errors[0]);
    } catch (const Error& e) {
      return shown(e);
    }
  }

  std::string shown(const Error& e) const {
    std::string where = e.where().file + ":" + std::to_string(e.where().line);
    std::string prefix = tree_.root().string() + "/";
    if (where.rfind(prefix, 0) == 0) where = where.substr(prefix.size());
    return where + ": " + e.message() + (e.hint().empty() ? "" : " | " + e.hint());
  }

  static const CompiledResource* find(const Compilation& c, const std::string& kind,
                                      const std::string& name) {
    for (const auto& r : c.resources) {
      if (r.manifest["kind"] == kind && r.manifest["metadata"]["name"] == name) return &r;
    }
    return nullptr;
  }

  static size_t index_of(const Compilation& c, const CompiledResource* r) {
    return static_cast<size_t>(r - c.resources.data());
  }

  static bool refers(const Compilation& c, const CompiledResource* from,
                     const CompiledResource* to) {
    return std::find(from->refs.begin(), from->refs.end(), index_of(c, to)) != from->refs.end();
  }

  TempTree tree_;
  Diagnostics diags_;
};

constexpr const char* kFiles = R"(options:
  files: { type: array, default: [] }
resources:
  files:
    forEach: ${config.files}
    manifest:
      apiVersion: v1
      kind: ConfigMap
      data: { file: "${each.value}", index: "#${each.index}", key: "${each.key}" }
  summary:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}-summary" }
      data: { first: "${resources.files['0'].metadata.name}" }
out:
  names: ${keys(resources.files).map(k, resources.files[k].metadata.name)}
)";

TEST_F(CompilerPackageLanguage, ForEachEmitsOneConfigMapPerListElement) {
  package("files", kFiles);
  Compilation c = compile_text(
      "instances:\n  shop:\n    cfg: { package: files, config: { files: [a, b, c] } }\n");
  ASSERT_TRUE(c.ok()) << shown(c.errors[0]);
  for (int k = 0; k < 3; ++k) {
    const CompiledResource* r = find(c, "ConfigMap", "cfg-" + std::to_string(k));
    ASSERT_NE(r, nullptr) << k;
    EXPECT_EQ(r->manifest["data"]["file"], std::string(1, static_cast<char>('a' + k)));
    EXPECT_EQ(r->manifest["data"]["index"], "#" + std::to_string(k));
    EXPECT_EQ(r->manifest["data"]["key"], std::to_string(k));
    EXPECT_EQ(r->manifest["metadata"]["labels"]["app.kubernetes.io/component"],
              "files-" + std::to_string(k));
    EXPECT_EQ(r->key, "files");
    EXPECT_EQ(r->element, std::to_string(k));
  }
  const CompiledResource* summary = find(c, "ConfigMap", "cfg-summary");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->manifest["data"]["first"], "cfg-0");
  EXPECT_TRUE(refers(c, summary, find(c, "ConfigMap", "cfg-0")));
  EXPECT_FALSE(refers(c, summary, find(c, "ConfigMap", "cfg-1")))
      << "an element is its own node: reading one does not depend on the others";
  const CompiledInstance& inst = c.instances[0];
  EXPECT_EQ(inst.out.json["names"], Json::parse(R"(["cfg-0", "cfg-1", "cfg-2"])"));
  Compilation none = compile_text("instances:\n  shop:\n    cfg: { package: files }\n");
  EXPECT_FALSE(none.ok()) << "resources.files['0'] of an empty forEach is missing";
}

TEST_F(CompilerPackageLanguage, ForEachOverAMapWithKeysAndSelectsPerElement) {
  package("apps", R"(needs: [db]
options:
  apps: { type: object, additionalProperties: true, default: {} }
resources:
  deploy:
    forEach: ${config.apps}
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      spec:
        template:
          spec:
            containers:
              - name: app
                image: "${each.value.image}"
                env: [{ name: DB, value: "${db.out.host}" }]
  service:
    forEach: ${config.apps}
    selects: deploy
    manifest:
      apiVersion: v1
      kind: Service
      spec: { ports: [{ port: 80 }] }
  named:
    forEach: "${config.apps.map(k, {'name': k, 'image': config.apps[k].image})}"
    key: ${each.value.name + '-x'}
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${each.key}" }
)");
  Compilation c = compile_text(R"(instances:
  shop:
    db: { package: db }
    web:
      package: apps
      config: { apps: { alpha: { image: "a:1" }, beta: { image: "b:1" } } }
)");
  ASSERT_TRUE(c.ok()) << shown(c.errors[0]);
  const CompiledResource* alpha = find(c, "Deployment", "web-alpha");
  const CompiledResource* beta = find(c, "Deployment", "web-beta");
  const CompiledResource* alpha_service = find(c, "Service", "web-alpha");
  const CompiledResource* db = find(c, "Service", "db");
  ASSERT_TRUE(alpha && beta && alpha_service && db);
  EXPECT_EQ(alpha->manifest["spec"]["template"]["spec"]["containers"][0]["image"], "a:1");
  EXPECT_NE(alpha->manifest["spec"]["selector"], beta->manifest["spec"]["selector"])
      << "each element's workload has its own selector";
  EXPECT_EQ(alpha_service->manifest["spec"]["selector"],
            alpha->manifest["spec"]["selector"]["matchLabels"]);
  EXPECT_TRUE(refers(c, alpha_service, alpha));
  EXPECT_FALSE(refers(c, alpha_service, beta));
  EXPECT_TRUE(refers(c, alpha, db)) << "provenance flows through each.value's template";
  EXPECT_NE(find(c, "ConfigMap", "alpha-x"), nullptr);
  EXPECT_NE(find(c, "ConfigMap", "beta-x"), nullptr);
}

TEST_F(CompilerPackageLanguage, ForEachElementsThatCollideAreErrorsNamingBoth) {
  package("dup", R"(options:
  items: { type: array, default: [] }
resources:
  cm:
    forEach: ${config.items}
    key: ${each.value.name}
    manifest:
      apiVersion: v1
      kind: ConfigMap
  fixed:
    forEach: ${config.items}
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}-fixed" }
)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: dup, config: { items: [{name: a}, "
                        "{name: a}] } }\n"),
            "pkgs/dup/package.yaml:7: elements 0 and 1 of resource 'cm' have the same key 'a' | "
            "each element is its own resource: make 'key:' differ per element");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: dup, config: { items: [{name: a}, "
                        "{name: b}] } }\n"),
            "pkgs/dup/package.yaml:16: elements '0' and '1' of resource 'fixed' both emit "
            "ConfigMap 'x-fixed' | make metadata.name depend on each.key, or leave it out for "
            "'<instance>-<key>'");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: dup, config: { items: [{name: "
                        "'a b'}] } }\n"),
            "pkgs/dup/package.yaml:7: the key 'a b' of an element of resource 'cm' cannot go into "
            "names and labels | keys are letters, digits, '-', '_' and '.', starting and ending "
            "with a letter or digit, at most 60 characters here; give the entry a 'key:' that is");
}

TEST_F(CompilerPackageLanguage, ForEachMistakesAreErrorsAtTheirLine) {
  package("bad", R"(resources:
  cm:
    forEach: ${'text'}
    manifest: { apiVersion: v1, kind: ConfigMap }
)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: bad }\n"),
            "pkgs/bad/package.yaml:4: forEach of resource 'cm' must give a list or a map, not a "
            "string | in: ${'text'}");
  package("bad", R"(resources:
  cm:
    key: ${each.index}
    manifest: { apiVersion: v1, kind: ConfigMap }
)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: bad }\n"),
            "pkgs/bad/package.yaml:4: 'key' of resource 'cm' needs a 'forEach' | 'key' names each "
            "element of a forEach");
  package("bad", R"(resources:
  deploy:
    forEach: ${[1, 2]}
    manifest: { apiVersion: apps/v1, kind: Deployment }
  service:
    selects: deploy
    manifest: { apiVersion: v1, kind: Service }
)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    x: { package: bad }\n"),
            "pkgs/bad/package.yaml:7: resource 'service' selects 'deploy', which is a forEach: "
            "there is one workload per element | give 'service' the same forEach, so each element "
            "selects its own workload");
}

constexpr const char* kLet = R"(needs: [db]
options:
  suffix: { type: string, default: web }
let:
  fullName: ${self.name}-${config.suffix}
  dbUrl: postgres://${db.out.host}/${fullName}
  ports: [80, 443]
checks:
  - error: "the name ${fullName} is too long"
    when: ${size(fullName) > 20}
resources:
  cm:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${fullName}" }
      data: { url: "${dbUrl}", ports: "${join(ports, ',')}" }
out:
  name: ${fullName}
)";

TEST_F(CompilerPackageLanguage, LetBindingsAreUsableInChecksTemplatesAndOut) {
  package("app", kLet);
  Compilation c = compile_text(
      "instances:\n  shop:\n    db: { package: db }\n    app: { package: "
      "app }\n");
  ASSERT_TRUE(c.ok()) << shown(c.errors[0]);
  const CompiledResource* cm = find(c, "ConfigMap", "app-web");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->manifest["data"]["url"], "postgres://db.shop.svc/app-web");
  EXPECT_EQ(cm->manifest["data"]["ports"], "80,443");
  EXPECT_TRUE(refers(c, cm, find(c, "Service", "db"))) << "a let keeps its provenance";
  for (const auto& inst : c.instances) {
    if (inst.decl.name == "app") {
      EXPECT_EQ(inst.out.json["name"], "app-web");
    }
  }
  EXPECT_EQ(first_error("instances:\n  shop:\n    db: { package: db }\n    app: { package: app, "
                        "config: { suffix: a-very-long-suffix } }\n"),
            "cluster.yaml:6: the name app-a-very-long-suffix is too long");
}

TEST_F(CompilerPackageLanguage, LetMistakesAreErrorsAtLoadTime) {
  const std::string definition =
      "instances:\n  shop:\n    db: { package: db }\n    app: { "
      "package: app }\n";
  package("app", "needs: [db]\nlet:\n  b: ${a}\n  a: 1\n");
  EXPECT_EQ(first_error(definition),
            "pkgs/app/package.yaml:4: let 'b' uses 'a', which is defined below it | a binding "
            "sees only the bindings above it: move 'a' up");
  package("app", "needs: [db]\nlet:\n  db: 1\n");
  EXPECT_EQ(first_error(definition),
            "pkgs/app/package.yaml:4: let 'db' has the name of a need of this package | rename "
            "the binding: expressions could not tell the two apart");
  package("app", "needs: [db]\nlet:\n  config: 1\n");
  EXPECT_EQ(first_error(definition),
            "pkgs/app/package.yaml:4: 'config' cannot be a let name: kix defines it | rename the "
            "binding; self, config, cluster, resources, chart, each are defined by kix");
  package("app", "needs: [db]\nlet:\n  n: ${resources.x.metadata.name}\n");
  EXPECT_EQ(first_error(definition),
            "pkgs/app/package.yaml:4: let 'n' reads resources, which do not exist yet | let "
            "bindings are evaluated before the resources; compute it in a resource or in out "
            "instead");
  package("app", "needs: [db]\nlet:\n  n: ${[1].map(n, n + 1)}\n");
  EXPECT_EQ(first_error(definition), "no error") << "a macro variable is not a reference";
}

TEST_F(CompilerPackageLanguage, RequiredOptionLeftOutIsAnErrorAtTheInstancesLine) {
  package("site", R"(options:
  host: { type: string, required: true, description: the public host name }
)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    web: { package: site }\n"),
            "cluster.yaml:5: the option 'host' is required | add `host: ...` under the "
            "instance's config (the public host name)");
  EXPECT_EQ(first_error("instances:\n  shop:\n    web: { package: site, config: { host: x } }\n"),
            "no error");
}

TEST_F(CompilerPackageLanguage, OptionalObjectOptionIsAbsentUnlessGiven) {
  package("backup", R"(options:
  backup:
    type: object
    required: [bucket]
    properties:
      bucket: { type: string }
      name: { type: string, default: nightly }
resources:
  job:
    when: ${has(config.backup)}
    manifest:
      apiVersion: v1
      kind: ConfigMap
      data: { bucket: "${config.backup.bucket}", name: "${config.backup.name}" }
)");
  Compilation absent = compile_text("instances:\n  shop:\n    b: { package: backup }\n");
  ASSERT_TRUE(absent.ok()) << shown(absent.errors[0]);
  EXPECT_EQ(find(absent, "ConfigMap", "b"), nullptr);
  Compilation given = compile_text(
      "instances:\n  shop:\n    b: { package: backup, config: { backup: { bucket: x } } }\n");
  ASSERT_TRUE(given.ok()) << shown(given.errors[0]);
  const CompiledResource* cm = find(given, "ConfigMap", "b");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->manifest["data"]["name"], "nightly");
}

}  // namespace
}  // namespace kix::compiler
