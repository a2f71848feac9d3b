#include "manifest/manifest.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include <algorithm>
#include <random>
#include <set>

#include "manifest/merkle.h"
#include "manifest/references.h"
#include "tests/unit/temp_dir.h"
#include "util/spill_heap.h"

namespace kix {
namespace {

template <typename Container>
auto as_vector(const Container& c) {
  return std::vector<typename Container::value_type>(c.begin(), c.end());
}

std::vector<Manifest> manifests(const std::string& yaml) {
  Diagnostics diags;
  std::vector<Manifest> out;
  append_manifests(parse_yaml(yaml, "m.yaml", diags), out);
  return out;
}

TEST(Manifest, ComputesIdentityCanonicalBytesAndBlob) {
  auto ms =
      manifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\n");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].id.group(), "apps");
  EXPECT_EQ(ms[0].id.key(), "apps/Deployment/prod/web");
  EXPECT_EQ(ms[0].id.display(), "Deployment/web @ prod");
  EXPECT_EQ(
      ms[0].canonical,
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod"}})");
  EXPECT_EQ(ms[0].blob, Hash::of(ms[0].canonical));
}

TEST(Manifest, FlattensListsAndSkipsEmptyDocuments) {
  auto ms = manifests(
      "---\n---\napiVersion: v1\nkind: List\nitems:\n"
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].id.name, "b");
}

TEST(Manifest, RejectsDocumentsWithoutIdentity) {
  EXPECT_ERROR_KIND(manifests("kind: ConfigMap\nmetadata: {name: a}\n"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(manifests("apiVersion: v1\nmetadata: {name: a}\n"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(manifests("apiVersion: v1\nkind: ConfigMap\n"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(manifests("- a\n- b\n"), ErrorKind::kInvalidInput);
  try {
    manifests("a: 1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 1);
  }
}

TEST(Manifest, DuplicateIdentitiesNameBothPlaces) {
  auto ms = manifests(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: y}\n");
  try {
    check_unique_identities(ms);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 5);
    EXPECT_NE(e.hint().find("m.yaml:1"), std::string::npos);
  }
}

TEST(Manifest, MissingPathIsNotFound) {
  Diagnostics diags;
  try {
    load_manifests({"/nonexistent/kix/path"}, diags);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

const char* kApp = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: nginx
        envFrom: [{configMapRef: {name: web-env}}]
        env:
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: web-secret, key: password}}
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: web-data}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: app}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-env, namespace: app}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret, namespace: app}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: web-data, namespace: app}
spec: {storageClassName: fast}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: x
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: web}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: app}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: app}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, names: {kind: Widget, plural: widgets}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: app}
)";

std::set<std::string> refs_of(const std::vector<Manifest>& ms,
                              const std::vector<std::vector<InferredRef>>& refs, size_t i) {
  std::set<std::string> out;
  for (const auto& r : refs[i]) out.insert(ms[r.to].id.kind + "/" + ms[r.to].id.name);
  return out;
}

TEST(References, InfersWhatKubernetesImplies) {
  auto ms = manifests(kApp);
  auto refs = infer_references(ms);
  EXPECT_EQ(refs_of(ms, refs, 0),
            (std::set<std::string>{"ServiceAccount/web", "ConfigMap/web-env", "Secret/web-secret",
                                   "PersistentVolumeClaim/web-data"}));
  EXPECT_EQ(refs_of(ms, refs, 1), (std::set<std::string>{"Deployment/web"}));
  EXPECT_EQ(refs_of(ms, refs, 5), (std::set<std::string>{"StorageClass/fast"}));
  EXPECT_EQ(refs_of(ms, refs, 7), (std::set<std::string>{"Role/reader", "ServiceAccount/web"}));
  EXPECT_EQ(refs_of(ms, refs, 9), (std::set<std::string>{"Service/web"}));
  EXPECT_EQ(refs_of(ms, refs, 11),
            (std::set<std::string>{"CustomResourceDefinition/widgets.example.com"}));
  EXPECT_EQ(refs[0][0].reason, "spec.template.spec.serviceAccountName");
}

TEST(Merkle, ChangingAReferencedResourceRehashesItsDependentsOnly) {
  auto before = build_graph_inferred(manifests(kApp));
  std::string changed = kApp;
  changed.replace(changed.find("spec: {storageClassName: fast}"), 30,
                  "spec: {storageClassName: fast, volumeName: x}");
  auto after = build_graph_inferred(manifests(changed));
  EXPECT_NE(before.nodes[5], after.nodes[5]);  // the PVC itself
  EXPECT_NE(before.nodes[0], after.nodes[0]);  // the Deployment mounts it
  EXPECT_NE(before.nodes[1], after.nodes[1]);  // the Service selects the Deployment
  EXPECT_NE(before.nodes[9], after.nodes[9]);  // the Ingress routes to the Service
  EXPECT_EQ(before.nodes[2], after.nodes[2]);  // the ServiceAccount is untouched
  EXPECT_EQ(before.nodes[7], after.nodes[7]);  // so is the RoleBinding
  EXPECT_NE(before.root("c"), after.root("c"));
}

TEST(Merkle, NodeAndRootHashesFollowTheDocumentedForm) {
  Hash blob = Hash::of("x");
  Hash ref = Hash::of("y");
  EXPECT_EQ(node_hash(blob, {ref, ref}), Hash::of("{\"manifest\":\"" + blob.hex() +
                                                  "\",\"refs\":[\"" + ref.hex() + "\"],\"v\":1}"));
  EXPECT_EQ(root_hash("c\"", {ref, blob}),
            Hash::of("{\"cluster\":\"c\\\"\",\"resources\":[\"" + std::min(ref, blob).hex() +
                     "\",\"" + std::max(ref, blob).hex() + "\"],\"v\":1}"));
}

// a uses b and c, which use each other: the walk from a reaches b first
// (targets in identity order), so the edge that closes the cycle is c -> b.
TEST(Merkle, ACycleReachedFromSeveralEdgesIsBrokenAtTheSameEdgeInAnyInputOrder) {
  auto ms = manifests(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  Graph forward = build_graph(ms, {{1, 2}, {2}, {1}});
  ASSERT_EQ(forward.warnings.size(), 1u);
  EXPECT_NE(forward.warnings[0].find("ConfigMap/c -> ConfigMap/b"), std::string::npos)
      << forward.warnings[0];
  EXPECT_EQ(forward.refs[1], std::vector<size_t>{2});
  EXPECT_TRUE(forward.refs[2].empty());
  // The same manifests as c, b, a, with a's references listed c first.
  Graph backward = build_graph({ms[2], ms[1], ms[0]}, {{1}, {0}, {0, 1}});
  EXPECT_EQ(backward.warnings, forward.warnings);
  EXPECT_EQ(backward.root("c"), forward.root("c"));
}

// Self edges and repeats carry no information: they are dropped, the
// first reason of a repeat is kept, and targets come in identity order.
TEST(Merkle, EdgesAreOrderedByIdentityWithoutSelfEdgesOrRepeats) {
  auto ms = manifests(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  Graph g = build_graph(ms, {{1, 0, 2, 1}, {}, {}}, {{"first c", "self", "b", "second c"}, {}, {}});
  EXPECT_EQ(g.refs[0], (std::vector<size_t>{2, 1}));
  EXPECT_EQ(g.ref_reasons[0], (std::vector<std::string>{"b", "first c"}));
  EXPECT_TRUE(g.warnings.empty());
  // The same through the core, whose edges carry reason numbers.
  EdgeList edges;
  for (auto targets : {std::vector<uint32_t>{1, 0, 2, 1}, {}, {}}) {
    edges.start_resource();
    for (uint32_t k = 0; k < targets.size(); ++k) edges.add(targets[k], k);
  }
  auto blob = [&](size_t i) -> const Hash& { return ms[i].blob; };
  const auto rank = identity_ranks(
      ms.size(), [&](size_t i) { return ms[i].id.key(); }, blob);
  EXPECT_EQ(as_vector(rank), (std::vector<uint32_t>{0, 2, 1}));
  const auto nodes = merkle_nodes(
      rank, blob, edges, [](size_t, size_t, uint32_t) { ADD_FAILURE() << "no cycle here"; });
  EXPECT_EQ(as_vector(nodes), g.nodes);
  EXPECT_EQ(as_vector(edges.begin), (std::vector<uint32_t>{0, 2, 2, 2}));
  EXPECT_EQ(as_vector(edges.to), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(as_vector(edges.reason), (std::vector<uint32_t>{2, 0}));
}

// With working memory, identities are ranked through sorted runs in a file
// and the arrays live in that memory: the same ranks, hashes and edges as
// in memory, ties (equal keys, equal blobs) and cycles included.
TEST(Merkle, RanksAndHashesInWorkingMemoryAreTheSame) {
  testing::TempDir dir;
  constexpr size_t n = 30000;
  std::vector<std::string> keys(n);
  std::vector<Hash> blobs(n);
  std::mt19937 rng(17);
  for (size_t i = 0; i < n; ++i) {
    keys[i] = "apps/Deployment/ns-" + std::to_string(rng() % 40) + "/name-" +
              std::to_string(rng() % 20000);
    blobs[i] = Hash::of(std::to_string(rng() % 25000));
  }
  auto edges_of = [&](std::pmr::memory_resource* memory) {
    EdgeList edges(memory);
    std::mt19937 edge_rng(23);
    for (size_t i = 0; i < n; ++i) {
      edges.start_resource();
      for (uint32_t k = 0; k < edge_rng() % 4; ++k) edges.add(edge_rng() % n, k);
    }
    return edges;
  };
  auto key = [&](size_t i) { return keys[i]; };
  auto blob = [&](size_t i) -> const Hash& { return blobs[i]; };
  EdgeList plain_edges = edges_of(std::pmr::get_default_resource());
  const auto plain_rank = identity_ranks(n, key, blob);
  size_t plain_dropped = 0;
  const auto plain_nodes = merkle_nodes(plain_rank, blob, plain_edges,
                                        [&](size_t, size_t, uint32_t) { ++plain_dropped; });

  SpillHeap heap(dir.path(), 1u << 20);  // runs of 256 KiB: several here
  EdgeList spilled_edges = edges_of(&heap);
  const auto rank = identity_ranks(n, key, blob, &heap);
  EXPECT_EQ(as_vector(rank), as_vector(plain_rank));
  size_t dropped = 0;
  const auto nodes = merkle_nodes(
      rank, blob, spilled_edges, [&](size_t, size_t, uint32_t) { ++dropped; }, &heap);
  EXPECT_GT(plain_dropped, 0u);
  EXPECT_EQ(dropped, plain_dropped);
  EXPECT_EQ(as_vector(nodes), as_vector(plain_nodes));
  EXPECT_EQ(as_vector(spilled_edges.begin), as_vector(plain_edges.begin));
  EXPECT_EQ(as_vector(spilled_edges.to), as_vector(plain_edges.to));
  EXPECT_TRUE(heap.fallback_reason().empty()) << heap.fallback_reason();
  EXPECT_GT(heap.extent(), size_t{1} << 20);
}

TEST(Merkle, BreaksReferenceCyclesDeterministically) {
  auto ms = manifests(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  Graph g1 = build_graph(ms, {{1}, {0}});
  std::vector<Manifest> reversed = {ms[1], ms[0]};
  Graph g2 = build_graph(reversed, {{1}, {0}});
  EXPECT_EQ(g1.warnings.size(), 1u);
  EXPECT_EQ(g1.root("c"), g2.root("c"));
}

}  // namespace
}  // namespace kix

namespace kix {
namespace {

// Found by fuzz_manifest_ingest: with two Deployments of one name in two API
// groups, the one a reference resolved to depended on input order.
TEST(References, SameNameInTwoApiGroupsDoesNotDependOnOrder) {
  const char* text = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}
)";
  auto ms = manifests(text);
  Graph forward = build_graph_inferred(ms);
  std::reverse(ms.begin(), ms.end());
  Graph backward = build_graph_inferred(ms);
  EXPECT_EQ(forward.root("c"), backward.root("c"));
}

}  // namespace
}  // namespace kix
