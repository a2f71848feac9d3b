// The compiler's passes on small definitions with their own packages.
#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler_test_support.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

// A database that exposes fqdn and a feature list; an app that needs it.
constexpr const char* kDb = R"(package: db
provides: [postgres]
options:
  features: { type: array, default: [] }
resources:
  cluster:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}" }
      data: { features: "${join(config.features, ',')}" }
out:
  fqdn: ${resources.cluster.metadata.name}.${self.namespace}.svc
  features: ${config.features}
)";

constexpr const char* kApp = R"(package: app
needs: [postgres]
optionalNeeds: [cache]
options:
  replicas: { type: integer, default: 1 }
checks:
  - error: "app needs feature x on '${postgres.name}'"
    unless: ${'x' in postgres.out.features}
  - warn: "only ${config.replicas} replica"
    when: ${config.replicas < 2}
resources:
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        replicas: ${config.replicas}
        template:
          spec:
            containers:
              - name: app
                image: nginx
                env:
                  - { name: DB, value: "${postgres.out.fqdn}" }
                  - "${cache != null ? {'name': 'CACHE', 'value': cache.out.fqdn} : null}"
  service:
    selects: deploy
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        ports: [{ port: 80 }]
        clusterIP: "${null}"
out:
  url: http://${resources.service.metadata.name}
)";

class CompilerPipeline : public ::testing::Test {
 protected:
  CompilerPipeline() {
    tree_.write("pkgs/db/package.yaml", kDb);
    tree_.write("pkgs/app/package.yaml", kApp);
  }

  Compilation compile_text(const std::string& definition) {
    tree_.write("cluster.yaml", "cluster: test\npackagePaths: [./pkgs]\n" + definition);
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

  // "cluster.yaml:5:10: message", the file relative to the temporary tree.
  std::string first_error(const Compilation& c) {
    if (c.errors.empty()) return "no error";
    std::string where = c.errors[0].where().str();
    std::string prefix = tree_.root().string() + "/";
    if (where.rfind(prefix, 0) == 0) where = where.substr(prefix.size());
    return where + ": " + c.errors[0].message();
  }

  static const CompiledInstance& instance(const Compilation& c, const std::string& name) {
    for (const auto& i : c.instances) {
      if (i.decl.name == name) return i;
    }
    throw std::runtime_error("no instance " + name);
  }

  TempTree tree_;
  Diagnostics diags_;
};

TEST_F(CompilerPipeline, ResolvesByAliasAndTracksProvenance) {
  Compilation c = compile_text(R"(instances:
  shop:
    web: { package: app }
    main-db: { package: db, aliases: [postgres], config: { features: [x] } }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  const CompiledResource* deploy = find(c, "Deployment", "web");
  const CompiledResource* db = find(c, "ConfigMap", "main-db");
  const CompiledResource* service = find(c, "Service", "web");
  ASSERT_TRUE(deploy && db && service);
  const Json& env = deploy->manifest["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env.size(), 1u) << "a null list item is left out";
  EXPECT_EQ(env[0]["value"], "main-db.shop.svc");
  size_t db_index = static_cast<size_t>(db - c.resources.data());
  size_t deploy_index = static_cast<size_t>(deploy - c.resources.data());
  EXPECT_NE(std::find(deploy->refs.begin(), deploy->refs.end(), db_index), deploy->refs.end());
  EXPECT_NE(std::find(service->refs.begin(), service->refs.end(), deploy_index),
            service->refs.end());
  EXPECT_EQ(std::find(db->refs.begin(), db->refs.end(), deploy_index), db->refs.end());
  EXPECT_EQ(service->manifest["spec"]["selector"],
            deploy->manifest["spec"]["selector"]["matchLabels"]);
  EXPECT_FALSE(service->manifest["spec"].contains("clusterIP")) << "a null field is left out";
  EXPECT_EQ(deploy->manifest["spec"]["replicas"], 1) << "a whole expression keeps its type";
  EXPECT_EQ(c.graph.manifests.size(), c.resources.size());
  ASSERT_NE(find(c, "Namespace", "shop"), nullptr);
  EXPECT_EQ(diags_.warning_count(), 1u);
  EXPECT_EQ(diags_.items()[0].message, "only 1 replica");
}

TEST_F(CompilerPipeline, FailedCheckIsAnErrorAtTheInstance) {
  Compilation c = compile_text(R"(instances:
  shop:
    web: { package: app }
    main-db: { package: db, aliases: [postgres] }
)");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(first_error(c), "cluster.yaml:5:5: app needs feature x on 'main-db'");
}

TEST_F(CompilerPipeline, MissingRequiredNeedUsesTheSeedWording) {
  // `availablePackages: []` turns auto-instantiation off.
  Compilation c =
      compile_text("availablePackages: []\ninstances:\n  shop:\n    web: { package: app }\n");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].message(), "no 'postgres' found in cluster for namespace 'shop'");
  EXPECT_NE(c.errors[0].hint().find("The package 'app' requires a dependency named 'postgres'"),
            std::string::npos);
}

TEST_F(CompilerPipeline, WithoutAvailablePackagesTheLibraryServesRequiredNeedsOnly) {
  tree_.write("pkgs/cache/package.yaml", R"(package: cache
out: { fqdn: cache.svc }
)");
  Compilation c = compile_text("instances:\n  shop:\n    web: { package: app }\n");
  ASSERT_EQ(c.instances.size(), 2u) << "postgres from the library; the optional cache stays absent";
  EXPECT_EQ(c.instances[1].decl.package, "db") << "db provides postgres";
  EXPECT_TRUE(c.instances[1].decl.auto_instantiated);
  const CompiledInstance& web = instance(c, "web");
  ASSERT_EQ(web.bindings.size(), 2u);
  EXPECT_EQ(web.bindings[1].need, "cache");
  EXPECT_FALSE(web.bindings[1].target.has_value());

  // Two library packages for one need: ambiguous, and the hint says where.
  tree_.write("pkgs/db2/package.yaml", "package: db2\nprovides: [postgres]\n");
  Compilation two = compile_text("instances:\n  shop:\n    web: { package: app }\n");
  ASSERT_FALSE(two.errors.empty());
  EXPECT_NE(two.errors[0].hint().find("the package library has several packages providing "
                                      "'postgres': db, db2"),
            std::string::npos)
      << two.errors[0].hint();
}

TEST_F(CompilerPipeline, AnObjectEmittedTwiceNamesWhoEmitsIt) {
  tree_.write("pkgs/twice/package.yaml", R"(package: twice
resources:
  one:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: same } }
  two:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: same } }
)");
  Compilation c = compile_text("instances:\n  shop:\n    t: { package: twice }\n");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].render().find("instance shop/t emits it twice, from templates 'one' and "
                                      "'two'"),
            std::string::npos)
      << c.errors[0].render();
  tree_.write("pkgs/fixed/package.yaml", R"(package: fixed
resources:
  one:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: same } }
)");
  Compilation two =
      compile_text("instances:\n  shop:\n    a: { package: fixed }\n    b: { package: fixed }\n");
  ASSERT_EQ(two.errors.size(), 1u);
  EXPECT_NE(two.errors[0].render().find("instance shop/a and instance shop/b both emit it"),
            std::string::npos)
      << two.errors[0].render();
}

TEST_F(CompilerPipeline, AutoInstantiatesFromAvailablePackages) {
  Compilation c = compile_text(R"(availablePackages: [db]
instances:
  shop:
    web: { package: app }
)");
  // The auto-instantiated db has no feature x: the check reports it.
  ASSERT_EQ(c.instances.size(), 2u);
  EXPECT_TRUE(c.instances[1].decl.auto_instantiated);
  EXPECT_EQ(c.instances[1].decl.name, "postgres");
  EXPECT_EQ(c.instances[1].decl.package, "db");
  EXPECT_EQ(c.errors.size(), 1u);
}

TEST_F(CompilerPipeline, UnknownAvailablePackageIsOneErrorAtItsLine) {
  Compilation c = compile_text(R"(availablePackages: [db, dbb, nothing-like-it]
instances:
  shop:
    web: { package: app }
    api: { package: app }
)");
  // Two consumers reach auto-instantiation, yet each bad entry is reported once.
  ASSERT_GE(c.errors.size(), 2u);
  EXPECT_EQ(first_error(c),
            "cluster.yaml:3:25: availablePackages names 'dbb', which is not a known package");
  EXPECT_EQ(c.errors[0].hint(), "did you mean 'db'?");
  EXPECT_EQ(c.errors[1].message(),
            "availablePackages names 'nothing-like-it', which is not a known package");
  size_t mentions = 0;
  for (const auto& e : c.errors)
    mentions += e.message().find("availablePackages names") != std::string::npos;
  EXPECT_EQ(mentions, 2u);
}

TEST_F(CompilerPipeline, ExplicitDepsWinAndInfrastructureIsSearched) {
  Compilation c = compile_text(R"(infrastructure:
  shared-db: { package: db, aliases: [postgres], config: { features: [x] } }
instances:
  shop:
    web: { package: app }
    other: { package: app, deps: { postgres: special } }
    special: { package: db, config: { features: [x] } }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  EXPECT_EQ(find(c, "Deployment", "web")
                ->manifest["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "shared-db.kix-system.svc");
  EXPECT_EQ(find(c, "Deployment", "other")
                ->manifest["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "special.shop.svc");
  ASSERT_EQ(instance(c, "web").bindings.size(), 2u);
  EXPECT_EQ(instance(c, "web").bindings[0].how, "infrastructure");
  EXPECT_EQ(instance(c, "other").bindings[0].how, "deps");
  EXPECT_EQ(instance(c, "web").bindings[1].how, "absent")
      << "an optional need without a match is null";
}

TEST_F(CompilerPipeline, TwoMatchesAreAmbiguous) {
  Compilation c = compile_text(R"(instances:
  shop:
    web: { package: app }
    a: { package: db, aliases: [postgres] }
    b: { package: db, aliases: [postgres] }
)");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.errors[0].message(), "ambiguous auto-resolution for 'postgres' in namespace 'shop'");
  EXPECT_EQ(c.errors[0].kind(), ErrorKind::kConflict);
}

TEST_F(CompilerPipeline, UnknownPackageSuggestsTheClosest) {
  Compilation c = compile_text("instances:\n  shop:\n    web: { package: apq }\n");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(first_error(c),
            "cluster.yaml:5:21: unknown package 'apq' for instance 'web' in namespace 'shop'");
  EXPECT_EQ(c.errors[0].hint(), "did you mean 'app'?");
}

TEST_F(CompilerPipeline, DependencyCycleIsShown) {
  tree_.write("pkgs/loop/package.yaml", "package: loop\nneeds: [peer]\nout: { x: 1 }\n");
  Compilation c = compile_text(R"(instances:
  ns:
    one: { package: loop, deps: { peer: two } }
    two: { package: loop, deps: { peer: one } }
)");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].message(), "dependency cycle: ns/one -> ns/two -> ns/one");
}

TEST_F(CompilerPipeline, ExternalInstanceGivesItsOutByHand) {
  Compilation c = compile_text(R"(instances:
  shop:
    web: { package: app }
    managed: { external: true, aliases: [postgres], out: { fqdn: db.example.com, features: [x] } }
)");
  ASSERT_TRUE(c.ok()) << first_error(c);
  EXPECT_TRUE(instance(c, "managed").resources.empty());
  const CompiledResource* deploy = find(c, "Deployment", "web");
  EXPECT_EQ(deploy->manifest["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "db.example.com");
}

TEST_F(CompilerPipeline, ConsumerChangesDoNotRehashTheDatabase) {
  auto db_node = [&](const std::string& replicas) {
    Compilation c = compile_text(R"(instances:
  shop:
    web: { package: app, config: { replicas: )" +
                                 replicas + R"( } }
    main-db: { package: db, aliases: [postgres], config: { features: [x] } }
)");
    EXPECT_TRUE(c.ok()) << first_error(c);
    std::map<std::string, Hash> nodes;
    for (size_t i = 0; i < c.graph.manifests.size(); ++i)
      nodes[c.graph.manifests[i].id.key()] = c.graph.nodes[i];
    return nodes;
  };
  auto one = db_node("1"), two = db_node("2");
  EXPECT_EQ(one.at("/ConfigMap/shop/main-db"), two.at("/ConfigMap/shop/main-db"));
  EXPECT_NE(one.at("apps/Deployment/shop/web"), two.at("apps/Deployment/shop/web"));
  EXPECT_NE(one.at("/Service/shop/web"), two.at("/Service/shop/web"))
      << "the Service selects the Deployment";
}

TEST_F(CompilerPipeline, TemplateMetadataThatIsNotAMapIsAnErrorAtTheTemplate) {
  tree_.write("pkgs/bad/package.yaml", R"(package: bad
resources:
  cm:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: x, labels: [a] }
)");
  Compilation c = compile_text("instances:\n  shop:\n    x: { package: bad }\n");
  EXPECT_EQ(first_error(c),
            "pkgs/bad/package.yaml:7:28: resource 'cm' of package 'bad' has metadata.labels that "
            "is not a map");
}

// The line and message of the kix::Error compile() throws for a malformed
// definition.
class CompilerDefinitionNames : public CompilerPipeline {
 protected:
  std::string thrown(const std::string& definition) {
    try {
      compile_text(definition);
    } catch (const Error& e) {
      return std::to_string(e.where().line) + ": " + e.message();
    }
    return "no error";
  }
};

TEST_F(CompilerDefinitionNames, NamespaceAndInstanceNamesMustBeKubernetesNames) {
  EXPECT_EQ(thrown("instances:\n  My_Shop:\n    db: { package: db }\n"),
            "4: 'My_Shop' is not a valid namespace name");
  EXPECT_EQ(thrown("instances:\n  shop:\n    Db.Main: { package: db }\n"),
            "5: 'Db.Main' is not a valid instance name");
  EXPECT_EQ(thrown("instances:\n  shop:\n    db-1: { package: db }\n"), "no error");
}

TEST_F(CompilerDefinitionNames, UnknownTagsAreErrorsWithTheClosestTag) {
  EXPECT_EQ(
      thrown("instances:\n  shop:\n    db: { package: db, config: { features: !defualt [] } }\n"),
      "5: unknown tag '!defualt'");
  try {
    compile_text(
        "instances:\n  shop:\n    db:\n      package: db\n      config:\n"
        "        size: !frobnicate 30Gi\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 8);
    EXPECT_EQ(e.message(), "unknown tag '!frobnicate'");
    EXPECT_NE(e.hint().find("!default and !force"), std::string::npos) << e.hint();
  }
  try {
    compile_text(
        "instances:\n  shop:\n    db: { package: db, config: { features: !defualt [] } }\n");
  } catch (const Error& e) {
    EXPECT_EQ(e.hint(), "did you mean '!default'?");
  }
  EXPECT_EQ(
      thrown("instances:\n  shop:\n    db: { package: db, config: { features: !default [] } }\n"),
      "no error");
}

TEST_F(CompilerDefinitionNames, AvailablePackagesMustBeAList) {
  EXPECT_EQ(thrown("availablePackages: db\ninstances: {}\n"),
            "3: 'availablePackages' must be a list of strings");
}

}  // namespace
}  // namespace kix::compiler
