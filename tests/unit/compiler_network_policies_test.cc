// NetworkPolicies derived from the dependency graph
// (compiler/network_policies.h): which policies, their selectors and ports,
// and which hashes a change moves.
#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler/post_deploy_checks.h"
#include "compiler_test_support.h"
#include "tests/unit/error_kind.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

// A database whose pods an operator makes: it says where they are.
constexpr const char* kDb = R"(package: db
options:
  port: { type: integer, default: 5432 }
resources:
  cluster:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: "${self.name}" }
      data: { port: "${string(config.port)}" }
out:
  fqdn: ${resources.cluster.metadata.name}.${self.namespace}.svc
  podSelector: { "db.example/cluster": "${resources.cluster.metadata.name}" }
  ports: ["${config.port}"]
)";

// A cache with a Deployment and a Service on a named target port.
constexpr const char* kCache = R"(package: cache
resources:
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        template:
          spec:
            containers:
              - name: cache
                image: valkey:8
                ports: [{ name: redis, containerPort: 6379 }]
  service:
    selects: deploy
    manifest:
      apiVersion: v1
      kind: Service
      metadata: { name: "${self.name}" }
      spec:
        ports: [{ port: 6379, targetPort: redis }]
out:
  fqdn: ${resources.service.metadata.name}.${self.namespace}.svc
)";

// A claim: no pods, no policy.
constexpr const char* kDisk = R"(package: disk
resources:
  claim:
    manifest:
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: { name: "${self.name}" }
      spec:
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 1Gi } }
out:
  name: ${resources.claim.metadata.name}
)";

constexpr const char* kApp = R"(package: app
needs: [postgres, cache, disk]
options:
  image: { type: string, default: "app:1" }
resources:
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: "${self.name}" }
      spec:
        template:
          spec:
            containers:
              - name: app
                image: ${config.image}
                env:
                  - { name: DB, value: "${postgres.out.fqdn}" }
                  - { name: CACHE, value: "${cache.out.fqdn}" }
            volumes: [{ name: data, persistentVolumeClaim: { claimName: "${disk.out.name}" } }]
)";

class NetworkPolicies : public ::testing::Test {
 protected:
  NetworkPolicies() {
    tree_.write("pkgs/db/package.yaml", kDb);
    tree_.write("pkgs/cache/package.yaml", kCache);
    tree_.write("pkgs/disk/package.yaml", kDisk);
    tree_.write("pkgs/app/package.yaml", kApp);
  }

  Compilation compile_text(const std::string& definition) {
    tree_.write("cluster.yaml",
                "cluster: test\npackagePaths: [./pkgs]\navailablePackages: []\n" + definition);
    CompileOptions o;
    o.definition = tree_.root();
    return compile(o, diags_);
  }

  static std::string shop(const std::string& policies, const std::string& db_port = "5432",
                          const std::string& image = "app:1") {
    return "networkPolicies: " + policies + R"(
instances:
  shop:
    web: { package: app, config: { image: ")" +
           image + R"(" } }
    postgres: { package: db, config: { port: )" +
           db_port + R"( } }
    cache: { package: cache }
    disk: { package: disk }
)";
  }

  static std::map<std::string, const Manifest*> policies(const Compilation& c) {
    std::map<std::string, const Manifest*> out;
    for (const Manifest& m : c.graph.manifests) {
      if (m.id.kind == "NetworkPolicy") out[m.id.ns + "/" + m.id.name] = &m;
    }
    return out;
  }

  static std::map<std::string, Hash> policy_nodes(const Compilation& c) {
    std::map<std::string, Hash> out;
    for (size_t i = 0; i < c.graph.manifests.size(); ++i) {
      const Manifest& m = c.graph.manifests[i];
      if (m.id.kind == "NetworkPolicy") out[m.id.ns + "/" + m.id.name] = c.graph.nodes[i];
    }
    return out;
  }

  TempTree tree_;
  Diagnostics diags_;
};

TEST_F(NetworkPolicies, DefaultDenyAndOneAllowPerEdgeWithPods) {
  Compilation c = compile_text(shop("derive"));
  ASSERT_TRUE(c.ok()) << c.errors[0].message();
  auto p = policies(c);
  std::vector<std::string> names;
  for (const auto& [name, m] : p) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"shop/kix-allow-web-to-cache",
                                      "shop/kix-allow-web-to-postgres", "shop/kix-default-deny"}))
      << "no policy for the claim, which has no pods";
  const Json& deny = p["shop/kix-default-deny"]->value["spec"];
  EXPECT_EQ(deny["podSelector"], Json::object());
  EXPECT_EQ(deny["policyTypes"], Json::array({"Ingress"}));

  const Json& db = p["shop/kix-allow-web-to-postgres"]->value["spec"];
  EXPECT_EQ(db["podSelector"]["matchLabels"], (Json{{"db.example/cluster", "postgres"}}));
  EXPECT_EQ(db["ingress"][0]["from"][0]["podSelector"]["matchLabels"],
            (Json{{"app.kubernetes.io/name", "app"}, {"app.kubernetes.io/instance", "web"}}));
  EXPECT_FALSE(db["ingress"][0]["from"][0].contains("namespaceSelector"));
  EXPECT_EQ(db["ingress"][0]["ports"], Json::parse(R"([{"port":5432,"protocol":"TCP"}])"));

  const Json& cache = p["shop/kix-allow-web-to-cache"]->value["spec"];
  EXPECT_EQ(cache["ingress"][0]["ports"], Json::parse(R"([{"port":6379,"protocol":"TCP"}])"))
      << "the named targetPort, through the container's ports";
  EXPECT_EQ(cache["podSelector"]["matchLabels"]["app.kubernetes.io/instance"], "cache");

  // The consumer's pods really carry the labels the policy selects.
  for (const Manifest& m : c.graph.manifests) {
    if (m.id.kind != "Deployment" || m.id.name != "web") continue;
    const Json& labels = m.value["spec"]["template"]["metadata"]["labels"];
    for (const auto& [k, v] : db["ingress"][0]["from"][0]["podSelector"]["matchLabels"].items()) {
      EXPECT_EQ(labels[k], v) << k;
    }
  }
}

TEST_F(NetworkPolicies, ChecksFollowTheEdgesAndAChangedPortIsANewJob) {
  auto jobs = [&](const std::string& port) {
    std::map<std::string, std::string> out;
    for (const PostDeployCheck& c : derive_checks(compile_text(shop("none", port)))) {
      out[c.name] = c.job;
      EXPECT_EQ(c.manifest["metadata"]["name"], c.job);
    }
    return out;
  };
  auto before = jobs("5432");
  ASSERT_EQ(before.size(), 2u) << "web -> postgres and web -> cache; the claim has no pods";
  ASSERT_TRUE(before.count("shop/web -> shop/postgres"));
  auto after = jobs("6432");
  EXPECT_NE(before["shop/web -> shop/postgres"], after["shop/web -> shop/postgres"]);
  EXPECT_EQ(before["shop/web -> shop/cache"], after["shop/web -> shop/cache"]);
  EXPECT_EQ(before, jobs("5432")) << "the same check, the same Job";
}

TEST_F(NetworkPolicies, NoneWithoutTheSetting) {
  Compilation c = compile_text(shop("none"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(policies(c).empty());
}

TEST_F(NetworkPolicies, AChangedPortRehashesExactlyItsPolicy) {
  auto before = policy_nodes(compile_text(shop("derive")));
  auto port = policy_nodes(compile_text(shop("derive", "6432")));
  EXPECT_NE(before["shop/kix-allow-web-to-postgres"], port["shop/kix-allow-web-to-postgres"]);
  EXPECT_EQ(before["shop/kix-allow-web-to-cache"], port["shop/kix-allow-web-to-cache"]);
  EXPECT_EQ(before["shop/kix-default-deny"], port["shop/kix-default-deny"]);
  // The consumer's own change moves none of them.
  auto image = policy_nodes(compile_text(shop("derive", "5432", "app:2")));
  EXPECT_EQ(before, image);
}

TEST_F(NetworkPolicies, AcrossNamespacesAndWithEgress) {
  Compilation c = compile_text(R"(networkPolicies: { derive: [shop, data], egress: true }
instances:
  shop:
    web: { package: app, deps: { postgres: data/postgres, cache: data/cache, disk: data/disk } }
  data:
    postgres: { package: db }
    cache: { package: cache }
    disk: { package: disk }
)");
  ASSERT_TRUE(c.ok()) << c.errors[0].message();
  auto p = policies(c);
  ASSERT_TRUE(p.count("data/kix-allow-shop-web-to-postgres")) << "named after both ends";
  const Json& from =
      p["data/kix-allow-shop-web-to-postgres"]->value["spec"]["ingress"][0]["from"][0];
  EXPECT_EQ(from["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "shop");
  ASSERT_TRUE(p.count("shop/kix-egress-web-to-data-postgres"));
  const Json& to = p["shop/kix-egress-web-to-data-postgres"]->value["spec"]["egress"][0]["to"][0];
  EXPECT_EQ(to["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "data");
  EXPECT_TRUE(p.count("shop/kix-allow-dns") && p.count("data/kix-allow-dns"));
  EXPECT_EQ(p["shop/kix-default-deny"]->value["spec"]["policyTypes"],
            Json::array({"Ingress", "Egress"}));
}

TEST_F(NetworkPolicies, BadSettingsAndOutsAreErrors) {
  EXPECT_ERROR_KIND(compile_text(shop("everything")), ErrorKind::kInvalidInput);
  try {
    compile_text(
        "networkPolicies: { derive: [shpo] }\ninstances:\n  shop:\n    c: { package: cache }\n");
    FAIL() << "an unknown namespace";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("names namespace 'shpo', which has no instances"),
              std::string::npos);
    EXPECT_NE(e.hint().find("shop"), std::string::npos) << e.hint();
  }
  tree_.write("pkgs/db/package.yaml", R"(package: db
resources:
  cluster:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "${self.name}" } }
out:
  fqdn: x
  podSelector: { a: b }
  ports: [{ name: nope }]
)");
  Compilation c = compile_text(R"(networkPolicies: derive
instances:
  shop:
    web: { package: app }
    postgres: { package: db }
    cache: { package: cache }
    disk: { package: disk }
)");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.errors[0].message().find("out.ports holds {\"name\":\"nope\"}"), std::string::npos)
      << c.errors[0].message();
}

}  // namespace
}  // namespace kix::compiler
