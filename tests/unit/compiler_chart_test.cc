// Packages that render a chart, with a scripted chart source and renderer
// (the real helm and chart repository run in tests/e2e/test_charts_lock.py),
// and kix.lock: its format, the package hashes, the lock checks.
#include <gtest/gtest.h>

#include "compiler/chart_resources.h"
#include "compiler/compiler.h"
#include "compiler/schema_validator.h"
#include "compiler_test_support.h"
#include "tests/unit/error_kind.h"

namespace kix::compiler {
namespace {

using testing::TempTree;

constexpr const char* kOperator = R"(package: op
provides: [operator]
options:
  replicas: { type: integer, default: 1 }
chart:
  repository: https://charts.example.org
  name: demo
  version: 1.0.0
  values: "${{'replicas': config.replicas}}"
out:
  deployment: ${chart.resources['Deployment/' + self.name].metadata.name}
)";

constexpr const char* kApp = R"(package: app
needs: [operator]
resources:
  cm:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: "${self.name}"
        annotations: { requires: "${operator.out.deployment}" }
)";

constexpr const char* kDefinition = R"(cluster: charts
packagePaths: [packages]
infrastructure:
  op:
    package: op
    namespace: op-system
    aliases: [operator]
instances:
  app:
    web: { package: app }
)";

// Always serves the same archive; counts calls and whether the cache was allowed.
class FakeSource : public ChartSource {
 public:
  FetchedChart fetch(const ChartRef& ref, const std::optional<Hash>& locked,
                     bool use_cache) override {
    ++calls;
    last_locked = locked;
    last_use_cache = use_cache;
    if (locked && *locked != digest) {
      throw Error(ErrorKind::kConflict, "chart " + ref.describe() + " is not what kix.lock holds");
    }
    FetchedChart out;
    out.archive.name = ref.name;
    out.archive.version = ref.version;
    out.sha256 = digest;
    out.url = "https://charts.example.org/demo-1.0.0.tgz";
    return out;
  }
  Hash digest = Hash::of("demo-1.0.0.tgz bytes");
  int calls = 0;
  std::optional<Hash> last_locked;
  bool last_use_cache = true;
};

// What `helm template` of the demo chart gives: a CRD, a Deployment and
// its ServiceAccount, a pre-install hook Job, a post-install Job, a test
// Pod, a delete hook, and a custom resource of the CRD.
class FakeRenderer : public ChartRenderer {
 public:
  std::vector<RenderedDocument> render(const ChartRenderRequest& r) override {
    request = r;
    auto doc = [](const std::string& text, const std::string& source) {
      return RenderedDocument{Json::parse(text), "demo/templates/" + source};
    };
    std::string replicas = std::to_string(r.values.value("replicas", 1));
    return {
        doc(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
          "metadata":{"name":"widgets.example.org"},
          "spec":{"group":"example.org","scope":"Namespaced",
            "names":{"kind":"Widget","plural":"widgets","singular":"widget","listKind":"WidgetList"},
            "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
              "type":"object","properties":{"spec":{"type":"object","properties":{
                "size":{"type":"integer"}}}}}}}]}})",
            "crd.yaml"),
        doc(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":")" + r.release +
                R"("}})",
            "sa.yaml"),
        doc(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + r.release +
                R"("},"spec":{"replicas":)" + replicas +
                R"(,"selector":{"matchLabels":{"app":"op"}},
              "template":{"metadata":{"labels":{"app":"op"}},"spec":{"serviceAccountName":")" +
                r.release + R"(","containers":[{"name":"op","image":"op:1"}]}}}})",
            "deployment.yaml"),
        doc(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate",
          "annotations":{"helm.sh/hook":"pre-install,pre-upgrade","helm.sh/hook-weight":"5"}},
          "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"m","image":"m"}]}}}})",
            "migrate.yaml"),
        doc(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"prepare",
          "annotations":{"helm.sh/hook":"pre-install","helm.sh/hook-weight":"-1"}},
          "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"p","image":"p"}]}}}})",
            "prepare.yaml"),
        doc(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"announce",
          "annotations":{"helm.sh/hook":"post-install"}},
          "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"a"}]}}}})",
            "announce.yaml"),
        doc(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"smoke",
          "annotations":{"helm.sh/hook":"test"}},"spec":{"containers":[{"name":"t","image":"t"}]}})",
            "test.yaml"),
        doc(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"cleanup",
          "annotations":{"helm.sh/hook":"pre-delete"}},
          "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"c"}]}}}})",
            "cleanup.yaml"),
        doc(R"({"apiVersion":"example.org/v1","kind":"Widget","metadata":{"name":"w"},
          "spec":{"size":)" +
                (bad_widget ? std::string("\"big\"") : std::string("3")) + "}}",
            "widget.yaml"),
    };
  }
  ChartRenderRequest request;
  bool bad_widget = false;
};

class ChartCompile : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.write("packages/op/package.yaml", kOperator);
    tree.write("packages/app/package.yaml", kApp);
    tree.write("cluster.yaml", kDefinition);
  }

  Compilation compile_it(bool locking = false) {
    CompileOptions options;
    options.definition = tree.root() / "cluster.yaml";
    options.charts = &source;
    options.renderer = &renderer;
    options.locking = locking;
    Diagnostics diags;
    Compilation c = compile(options, diags);
    if (validate) validate_resources(c, validator_with_kubernetes(), diags);
    return c;
  }

  static const SchemaValidator& validator_with_kubernetes() {
    static const SchemaValidator validator(std::filesystem::path(KIX_SOURCE_DIR) / "schema");
    return validator;
  }

  void lock_it() {
    Compilation c = compile_it(true);
    ASSERT_TRUE(c.ok()) << c.errors.front().render();
    Lockfile lock;
    for (const UsedChart& chart : c.charts) {
      lock.put_chart({chart.repository, chart.name, chart.version, chart.url, chart.sha256});
    }
    for (const UsedPackage& p : c.packages) lock.packages[p.name] = {p.source, p.sha256};
    tree.write("kix.lock", lockfile_text(lock));
  }

  const CompiledResource* find(const Compilation& c, const std::string& kind,
                               const std::string& name) {
    for (const CompiledResource& r : c.resources) {
      if (r.manifest.value("kind", "") == kind &&
          r.manifest["metadata"].value("name", "") == name) {
        return &r;
      }
    }
    return nullptr;
  }

  size_t index_of(const Compilation& c, const std::string& kind, const std::string& name) {
    const CompiledResource* r = find(c, kind, name);
    return r == nullptr ? SIZE_MAX : static_cast<size_t>(r - c.resources.data());
  }

  bool references(const Compilation& c, const std::string& kind, const std::string& name,
                  const std::string& to_kind, const std::string& to_name) {
    const CompiledResource* r = find(c, kind, name);
    size_t to = index_of(c, to_kind, to_name);
    return r != nullptr && std::find(r->refs.begin(), r->refs.end(), to) != r->refs.end();
  }

  TempTree tree;
  FakeSource source;
  FakeRenderer renderer;
  bool validate = false;
};

TEST_F(ChartCompile, WithoutALockTheChartIsNotTakenOnTrust) {
  Compilation c = compile_it();
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.inputs_failed);
  EXPECT_NE(c.errors[0].message().find("is not in kix.lock"), std::string::npos);
  EXPECT_EQ(source.calls, 0);
}

TEST_F(ChartCompile, LockingFetchesAfreshAndRecordsChartsAndPackages) {
  Compilation c = compile_it(true);
  ASSERT_TRUE(c.ok()) << c.errors.front().render();
  EXPECT_FALSE(source.last_locked);
  ASSERT_EQ(c.charts.size(), 1u);
  EXPECT_EQ(c.charts[0].sha256, source.digest);
  ASSERT_EQ(c.packages.size(), 2u);
  EXPECT_EQ(c.packages[0].name, "app");
  EXPECT_EQ(c.packages[0].source, "packages/app");
}

TEST_F(ChartCompile, RendersIntoTheGraphWithHooksOnTheWaves) {
  lock_it();
  Compilation c = compile_it();
  ASSERT_TRUE(c.ok()) << c.errors.front().render();
  EXPECT_EQ(source.last_locked, source.digest);
  // The values and names the renderer saw.
  EXPECT_EQ(renderer.request.release, "op");
  EXPECT_EQ(renderer.request.ns, "op-system");
  EXPECT_EQ(renderer.request.values, Json({{"replicas", 1}}));
  // Namespaced resources land in the chart's namespace; the CRD stays cluster-scoped.
  EXPECT_EQ(find(c, "Deployment", "op")->manifest["metadata"]["namespace"], "op-system");
  EXPECT_FALSE(find(c, "CustomResourceDefinition", "widgets.example.org")
                   ->manifest["metadata"]
                   .contains("namespace"));
  EXPECT_EQ(find(c, "Deployment", "op")->rendered_from,
            "demo 1.0.0: demo/templates/deployment.yaml");
  // Kubernetes' own references, as for plain manifests.
  EXPECT_TRUE(references(c, "Deployment", "op", "ServiceAccount", "op"));
  EXPECT_TRUE(references(c, "Widget", "w", "CustomResourceDefinition", "widgets.example.org"));
  // Hooks: pre-install first (the lower weight first), post-install last,
  // test hooks after everything, delete hooks left out.
  EXPECT_TRUE(references(c, "Deployment", "op", "Job", "migrate"));
  EXPECT_TRUE(references(c, "Job", "migrate", "Job", "prepare"));
  EXPECT_FALSE(references(c, "Job", "prepare", "Job", "migrate"));
  EXPECT_TRUE(references(c, "Job", "announce", "Deployment", "op"));
  EXPECT_TRUE(references(c, "Pod", "smoke", "Job", "announce"));
  EXPECT_EQ(find(c, "Job", "cleanup"), nullptr);
  // `out` reads the rendered resources, and the reader depends on them.
  EXPECT_EQ(find(c, "ConfigMap", "web")->manifest["metadata"]["annotations"]["requires"], "op");
  EXPECT_TRUE(references(c, "ConfigMap", "web", "Deployment", "op"));
  // A Namespace for the chart's namespace.
  EXPECT_NE(find(c, "Namespace", "op-system"), nullptr);
}

TEST_F(ChartCompile, TheBuildsOwnCrdsValidateItsCustomResources) {
  lock_it();
  validate = true;
  Compilation good = compile_it();
  EXPECT_TRUE(good.ok()) << (good.ok() ? "" : good.errors.front().render());
  renderer.bad_widget = true;
  Compilation bad = compile_it();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors[0].message().find("Widget 'w'"), std::string::npos)
      << bad.errors[0].message();
  EXPECT_NE(bad.errors[0].message().find("/spec/size"), std::string::npos);
  EXPECT_NE(bad.errors[0].message().find("rendered from demo 1.0.0: demo/templates/widget.yaml"),
            std::string::npos);
}

TEST_F(ChartCompile, AChangedPackageIsAnInputFailureUntilLocked) {
  lock_it();
  tree.write("packages/app/package.yaml", std::string(kApp) + "# one more line\n");
  Compilation c = compile_it();
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.inputs_failed);
  EXPECT_NE(c.errors[0].message().find("package 'app' is not what kix.lock holds"),
            std::string::npos)
      << c.errors[0].message();
  // README.md and test/ do not change what a package emits.
  lock_it();
  tree.write("packages/app/README.md", "docs");
  tree.write("packages/app/test/cluster.yaml", "cluster: t\n");
  EXPECT_TRUE(compile_it().ok());
}

TEST(Lockfile, RoundTripsCanonically) {
  Lockfile lock;
  lock.put_chart({"https://b.example", "b", "1.0.0", "https://b.example/b.tgz", Hash::of("b")});
  lock.put_chart({"https://a.example", "a", "2.0.0", "", Hash::of("a")});
  lock.images["ghcr.io/x/y:1"] = "sha256:" + Hash::of("y").hex();
  lock.packages["p"] = {"builtin", Hash::of("p")};
  TempTree tree;
  auto path = tree.write("kix.lock", lockfile_text(lock));
  Lockfile read = read_lockfile(path);
  EXPECT_EQ(lockfile_text(read), lockfile_text(lock));
  ASSERT_NE(read.find_chart("https://a.example", "a", "2.0.0"), nullptr);
  EXPECT_EQ(read.charts[0].name, "a");  // sorted
  // Replacing an entry keeps one.
  read.put_chart({"https://a.example", "a", "2.0.0", "", Hash::of("a2")});
  EXPECT_EQ(read.charts.size(), 2u);
}

TEST(Lockfile, RefusesWhatKixLockNeverWrites) {
  TempTree tree;
  auto error_of = [&](const std::string& text) {
    auto path = tree.write("kix.lock", text);
    try {
      read_lockfile(path);
    } catch (const Error& e) {
      return e.render();
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(R"({"version": 1, "chartz": []})").find("unknown field 'chartz'"),
            std::string::npos);
  EXPECT_NE(error_of("{\n\"version\": 1,\n\"packages\": {\"p\": {\"source\": \"builtin\", "
                     "\"sha256\": \"xyz\"}}}")
                .find("is not a SHA-256 digest"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"charts": []})").find("missing integer field 'version'"),
            std::string::npos);
  auto path = tree.write("kix.lock", R"({"version": 2})");
  EXPECT_ERROR_KIND(read_lockfile(path), ErrorKind::kConflict);
  EXPECT_NE(error_of("not json").find("kix.lock"), std::string::npos);
}

TEST(Lockfile, PackageHashesSeeEveryFileButTheDocsAndTests) {
  TempTree tree;
  tree.write("p/package.yaml", "package: p\n");
  Hash first = package_content_hash(tree.root() / "p");
  tree.write("p/README.md", "docs");
  tree.write("p/test/expected/x.yaml", "x");
  EXPECT_EQ(package_content_hash(tree.root() / "p"), first);
  tree.write("p/files/extra.conf", "x");
  EXPECT_NE(package_content_hash(tree.root() / "p"), first);
}

TEST(ChartResources, HookOrderNeverClosesACycle) {
  // A pre-install Job mounts a claim whose StorageClass the chart also
  // renders: the hook order would put both after the Job, which needs them.
  auto doc = [](const std::string& text) { return RenderedDocument{Json::parse(text), ""}; };
  ChartResources r = chart_resources(
      {doc(R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"fast"},
          "provisioner":"x"})"),
       doc(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},
          "spec":{"storageClassName":"fast"}})"),
       doc(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"init",
          "annotations":{"helm.sh/hook":"pre-install"}},"spec":{"template":{"spec":{
          "restartPolicy":"Never","containers":[{"name":"i","image":"i"}],
          "volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}}}})"),
       doc(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}})")},
      "ns", "demo 1.0.0", {});
  std::vector<std::vector<size_t>> refs(r.manifests.size());
  std::vector<std::vector<std::string>> reasons(r.manifests.size());
  for (size_t k = 0; k < r.refs.size(); ++k) {
    for (const auto& [to, why] : r.refs[k]) {
      refs[k].push_back(to);
      reasons[k].push_back(why);
    }
  }
  // The ConfigMap still waits for the hook.
  auto has = [&](size_t from, size_t to) {
    return std::find(refs[from].begin(), refs[from].end(), to) != refs[from].end();
  };
  EXPECT_TRUE(has(3, 2));
  EXPECT_TRUE(has(2, 1));
  EXPECT_FALSE(has(1, 2));
  EXPECT_FALSE(has(0, 2));
  Graph g = build_graph(std::move(r.manifests), std::move(refs), std::move(reasons));
  EXPECT_TRUE(g.warnings.empty()) << g.warnings.front();
}

TEST(ChartResources, ReleaseNamesHelmCouldReadAsOptionsAreRefused) {
  ChartArchive chart;
  chart.name = "demo";
  chart.version = "1.0.0";
  struct NoRun : ProcessRunner {
    ProcessResult run(const std::vector<std::string>&, const std::string&) override {
      ADD_FAILURE() << "helm must not run";
      return {};
    }
  } runner;
  HelmRenderer helm("helm", runner);
  ChartRenderRequest request;
  request.chart = &chart;
  request.ns = "default";
  request.release = "--post-renderer=/tmp/x";
  EXPECT_ERROR_KIND(helm.render(request), ErrorKind::kInvalidInput);
  request.release = "ok";
  request.ns = "Bad_NS";
  EXPECT_ERROR_KIND(helm.render(request), ErrorKind::kInvalidInput);
}

TEST(ChartResources, AFailedHelmTemplateNamesTheCommandKixRan) {
  ChartArchive chart;
  chart.name = "demo";
  chart.version = "1.0.0";
  struct Fails : ProcessRunner {
    ProcessResult run(const std::vector<std::string>&, const std::string&) override {
      ProcessResult r;
      r.exit_code = 1;
      r.err = "Error: values don't meet the specifications of the schema(s)\n";
      return r;
    }
  } runner;
  HelmRenderer helm("helm", runner);
  ChartRenderRequest request;
  request.chart = &chart;
  request.ns = "default";
  request.release = "web";
  try {
    helm.render(request);
    FAIL() << "a failing helm is an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "helm template of demo 1.0.0 failed (exit 1): Error: values don't meet the "
              "specifications of the schema(s)");
    EXPECT_NE(e.hint().find("kix ran: helm template web '<chart demo-1.0.0>' --namespace default "
                            "--values '<values from package.yaml>' --include-crds "
                            "--kube-version 1.36.0"),
              std::string::npos)
        << e.hint();
  }
}

}  // namespace
}  // namespace kix::compiler
