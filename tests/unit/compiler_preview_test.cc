// Previews and canaries (compiler/preview.h, compiler/canary.h) on small
// definitions with their own packages: what is rebuilt, reused and left
// out, how the preview is wired to the base, and what a canary adds.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/canary.h"
#include "compiler/compiler.h"
#include "compiler/preview.h"
#include "compiler_test_support.h"
#include "tests/unit/error_kind.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

constexpr const char* kDb = R"(package: db
options:
  version: { type: string, default: "16" }
resources:
  settings:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}" }
      data: { version: "${config.version}" }
  service:
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        ports: [{ port: 5432 }]
out:
  fqdn: ${resources.service.metadata.name}.${self.namespace}.svc
)";

constexpr const char* kApp = R"(package: app
needs: [postgres]
options:
  image: { type: string, default: "nginx:1" }
  greeting: { type: string, default: "hello" }
resources:
  settings:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}" }
      data: { GREETING: "${config.greeting}" }
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        replicas: 2
        template:
          spec:
            containers:
              - name: app
                image: ${config.image}
                envFrom: [{ configMapRef: { name: "${resources.settings.metadata.name}" } }]
                env:
                  - { name: DB, value: "${postgres.out.fqdn}" }
  service:
    selects: deploy
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        ports: [{ port: 80 }]
)";

constexpr const char* kClass = R"(package: klass
resources:
  class:
    manifest:
      apiVersion: storage.k8s.io/v1
      kind: StorageClass
      metadata: { name: "${self.name}" }
      provisioner: ${config.provisioner}
options:
  provisioner: { type: string, default: local }
out:
  name: ${resources.class.metadata.name}
)";

constexpr const char* kBase = R"(instances:
  shop:
    web: { package: app, config: { image: "IMAGE", greeting: GREETING } }
    db: { package: db, aliases: [postgres], config: { version: "VERSION" } }
    spare: { package: db }
)";

class Preview : public ::testing::Test {
 protected:
  Preview() {
    tree_.write("pkgs/db/package.yaml", kDb);
    tree_.write("pkgs/app/package.yaml", kApp);
    tree_.write("pkgs/klass/package.yaml", kClass);
  }

  CompileOptions options() const {
    CompileOptions o;
    o.definition = tree_.root();
    return o;
  }

  Compilation compile_text(const std::string& definition) {
    tree_.write("cluster.yaml", "cluster: test\npackagePaths: [./pkgs]\n" + definition);
    Compilation c = compile(options(), diags_);
    EXPECT_TRUE(c.ok()) << (c.errors.empty() ? "" : c.errors[0].message());
    return c;
  }

  static std::string with(std::string text, const std::string& image, const std::string& version,
                          const std::string& greeting = "hello") {
    text.replace(text.find("IMAGE"), 5, image);
    text.replace(text.find("VERSION"), 7, version);
    text.replace(text.find("GREETING"), 8, greeting);
    return text;
  }

  // The preview's own compilation of the definition last written.
  Compilation compile_preview(const PreviewPlan& plan, const Compilation& working) {
    CompileOptions o = options();
    o.rewrite_resolution = [&](Resolution& r) { apply_preview(plan, working, r); };
    Compilation c = compile(o, diags_);
    EXPECT_TRUE(c.ok()) << (c.errors.empty() ? "" : c.errors[0].message());
    return c;
  }

  static const PreviewInstance& entry(const Compilation& c, const PreviewPlan& plan,
                                      const std::string& name) {
    for (size_t i = 0; i < c.instances.size(); ++i) {
      if (c.instances[i].decl.name == name) return plan.instances[i];
    }
    throw std::runtime_error("no instance " + name);
  }
  static PreviewRole role(const Compilation& c, const PreviewPlan& plan, const std::string& name) {
    return entry(c, plan, name).role;
  }

  static const Manifest* find(const Graph& g, const std::string& kind, const std::string& name) {
    for (const Manifest& m : g.manifests) {
      if (m.id.kind == kind && m.id.name == name) return &m;
    }
    return nullptr;
  }

  TempTree tree_;
  Diagnostics diags_;
};

TEST_F(Preview, NothingChangedIsAnEmptyPreview) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  Compilation again = compile_text(with(kBase, "nginx:1", "16"));
  PreviewPlan plan = plan_preview(again, base.graph, "pr-1");
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.errors.empty());
}

TEST_F(Preview, AChangedAppIsRebuiltAndWiredToTheBaseDatabase) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  Compilation working = compile_text(with(kBase, "nginx:2", "16"));
  PreviewPlan plan = plan_preview(working, base.graph, "pr-1");
  ASSERT_TRUE(plan.errors.empty());
  EXPECT_EQ(plan.namespaces, (std::map<std::string, std::string>{{"shop", "pr-1"}}));
  EXPECT_EQ(role(working, plan, "web"), PreviewRole::kChanged);
  EXPECT_EQ(role(working, plan, "db"), PreviewRole::kReused);
  EXPECT_EQ(role(working, plan, "spare"), PreviewRole::kLeftOut);
  const PreviewInstance& db = entry(working, plan, "db");
  EXPECT_EQ(db.reason, "needed as 'postgres' by shop/web");
  ASSERT_EQ(db.base_resources.size(), 2u);
  EXPECT_GT(db.base_bytes, 0u);
  EXPECT_EQ(entry(working, plan, "web").reason, "Deployment/web @ shop changed");

  Compilation preview = compile_preview(plan, working);
  const Manifest* deploy = find(preview.graph, "Deployment", "web");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->id.ns, "pr-1");
  EXPECT_EQ(deploy->value["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "db.shop.svc")
      << "the reused database keeps the base namespace";
  EXPECT_EQ(find(preview.graph, "ConfigMap", "db"), nullptr) << "reused: not copied";
  EXPECT_EQ(find(preview.graph, "ConfigMap", "spare"), nullptr);
  EXPECT_NE(find(preview.graph, "Namespace", "pr-1"), nullptr);
  EXPECT_EQ(preview.graph.manifests.size(), 4u) << "Namespace, ConfigMap, Deployment, Service";
  EXPECT_TRUE(check_preview_resources(plan, preview).empty());
}

TEST_F(Preview, ADependencyChangeRebuildsItsDependents) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  Compilation working = compile_text(with(kBase, "nginx:1", "17"));
  PreviewPlan plan = plan_preview(working, base.graph, "pr-1");
  EXPECT_EQ(role(working, plan, "db"), PreviewRole::kChanged);
  EXPECT_EQ(role(working, plan, "web"), PreviewRole::kDependent);
  EXPECT_EQ(entry(working, plan, "web").reason, "needs 'postgres' = shop/db, which changed");
  Compilation preview = compile_preview(plan, working);
  const Manifest* deploy = find(preview.graph, "Deployment", "web");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->value["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "db.pr-1.svc")
      << "the preview's app talks to the preview's database";
}

TEST_F(Preview, SeveralNamespacesGetOneEachAndARemovedResourceCounts) {
  Compilation base = compile_text(R"(instances:
  shop:
    web: { package: app, deps: { postgres: data/db } }
  data:
    db: { package: db }
    old: { package: db }
)");
  Compilation working = compile_text(R"(instances:
  shop:
    web: { package: app, deps: { postgres: data/db }, config: { image: "nginx:2" } }
  data:
    db: { package: db }
)");
  PreviewPlan plan = plan_preview(working, base.graph, "pr-7");
  EXPECT_EQ(plan.namespaces,
            (std::map<std::string, std::string>{{"data", "data-pr-7"}, {"shop", "shop-pr-7"}}));
  EXPECT_EQ(role(working, plan, "web"), PreviewRole::kChanged);
  EXPECT_EQ(entry(working, plan, "web").preview_namespace, "shop-pr-7");
  EXPECT_EQ(role(working, plan, "db"), PreviewRole::kReused);

  // An instance whose package changed: its resources differ.
  Compilation fewer = compile_text(R"(instances:
  shop:
    web: { package: app, deps: { postgres: data/db } }
  data:
    db: { package: db }
    old: { package: app, deps: { postgres: db } }
)");
  PreviewPlan p2 = plan_preview(fewer, base.graph, "pr-7");
  EXPECT_EQ(role(fewer, p2, "old"), PreviewRole::kChanged);
  std::vector<std::string> old_resources;
  for (const ResourceId& id : entry(fewer, p2, "old").base_resources) {
    old_resources.push_back(id.display());
  }
  std::sort(old_resources.begin(), old_resources.end());
  EXPECT_EQ(old_resources, (std::vector<std::string>{"ConfigMap/old @ data", "Service/old @ data"}))
      << "the base's resources of 'old', found by identity";
}

TEST_F(Preview, BadNamesAndSharedInfrastructureAreRefused) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  EXPECT_ERROR_KIND(plan_preview(base, base.graph, "PR_1"), ErrorKind::kInvalidInput);
  std::string long_name(60, 'a');
  Compilation two = compile_text(R"(instances:
  shop:
    web: { package: app, deps: { postgres: data/db } }
  data:
    db: { package: db }
)");
  PreviewPlan plan = plan_preview(two, base.graph, long_name);
  ASSERT_FALSE(plan.errors.empty());
  EXPECT_NE(plan.errors[0].message().find("is not a valid namespace name"), std::string::npos);

  std::string infra = R"(infrastructure:
  fast: { package: klass, config: { provisioner: P } }
instances:
  shop:
    db: { package: db }
)";
  auto with_provisioner = [&](const std::string& p) {
    std::string t = infra;
    t.replace(t.find("P }"), 1, p);
    return t;
  };
  Compilation b2 = compile_text(with_provisioner("local"));
  Compilation w2 = compile_text(with_provisioner("nfs"));
  PreviewPlan refused = plan_preview(w2, b2.graph, "pr-1");
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_NE(refused.errors[0].message().find("infrastructure instance 'fast' changed"),
            std::string::npos)
      << refused.errors[0].message();
}

TEST_F(Preview, ACanaryAddsOneHashSuffixedDeploymentWithTheBaseSelector) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  Compilation working = compile_text(with(kBase, "nginx:2", "16"));
  CanaryOptions options;
  options.replicas = 1;
  Canary canary = make_canary(working.graph, base.graph, options);
  ASSERT_EQ(canary.workloads.size(), 1u);
  ASSERT_EQ(canary.additions.manifests.size(), 1u);
  const Manifest& copy = canary.additions.manifests[0];
  const Manifest* web = find(working.graph, "Deployment", "web");
  ASSERT_NE(web, nullptr);
  const std::string h = web->id.name == "web" ? canary.workloads[0].hash : "";
  EXPECT_EQ(h.size(), kCanaryHashLength);
  EXPECT_EQ(copy.id.name, "web-" + h);
  const Manifest* current = find(base.graph, "Deployment", "web");
  Json match = copy.value["spec"]["selector"]["matchLabels"];
  for (const auto& [k, v] : current->value["spec"]["selector"]["matchLabels"].items()) {
    EXPECT_EQ(match[k], v) << k;
  }
  EXPECT_EQ(match[kCanaryLabel], h);
  EXPECT_EQ(copy.value["spec"]["replicas"], 1);
  EXPECT_EQ(copy.value["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
  EXPECT_EQ(canary.graph.manifests.size(), base.graph.manifests.size() + 1);
  ASSERT_EQ(canary.workloads[0].services.size(), 1u);
  EXPECT_EQ(canary.workloads[0].services[0].name, "web");

  // Abort: without the additions, the base's root again.
  Graph back = without(canary.graph, canary_resources(canary.graph));
  EXPECT_EQ(back.root("test"), base.graph.root("test"));
}

TEST_F(Preview, AWeightedCanarySplitsTrafficThroughItsOwnService) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  Compilation working = compile_text(with(kBase, "nginx:2", "16"));
  CanaryOptions options;
  options.weight = 10;
  EXPECT_ERROR_KIND(make_canary(working.graph, base.graph, options), ErrorKind::kInvalidInput);
  options.gateway = "gw";
  Canary canary = make_canary(working.graph, base.graph, options);
  ASSERT_EQ(canary.additions.manifests.size(), 3u);
  const Manifest* route = find(canary.additions, "HTTPRoute", "web-" + canary.workloads[0].hash);
  const Manifest* service = find(canary.additions, "Service", "web-" + canary.workloads[0].hash);
  const Manifest* copy = find(canary.additions, "Deployment", "web-" + canary.workloads[0].hash);
  ASSERT_TRUE(route && service && copy);
  const Json& refs = route->value["spec"]["rules"][0]["backendRefs"];
  EXPECT_EQ(refs[0]["name"], "web");
  EXPECT_EQ(refs[0]["weight"], 90);
  EXPECT_EQ(refs[1]["weight"], 10);
  const Json& pods = copy->value["spec"]["template"]["metadata"]["labels"];
  const Manifest* base_service = find(base.graph, "Service", "web");
  bool base_selects = true;
  for (const auto& [k, v] : base_service->value["spec"]["selector"].items()) {
    base_selects = base_selects && pods.contains(k) && pods[k] == v;
  }
  EXPECT_FALSE(base_selects) << "the base's Service does not send traffic to the canary";
  for (const auto& [k, v] : service->value["spec"]["selector"].items()) EXPECT_EQ(pods[k], v) << k;
}

TEST_F(Preview, ACanaryOfAConfigChangeIsRefused) {
  Compilation base = compile_text(with(kBase, "nginx:1", "16"));
  CanaryOptions options;
  options.replicas = 1;
  EXPECT_ERROR_KIND(make_canary(base.graph, base.graph, options), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(
      make_canary(compile_text(with(kBase, "nginx:1", "17")).graph, base.graph, options),
      ErrorKind::kInvalidInput);  // only the database's settings changed: no Deployment
  Compilation working = compile_text(with(kBase, "nginx:2", "16", "bonjour"));
  try {
    make_canary(working.graph, base.graph, options);
    FAIL() << "a Deployment that uses a changed ConfigMap";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.message()).find("uses ConfigMap/web @ shop, which is new or changed too"),
        std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace kix::compiler
