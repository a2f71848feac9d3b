// The incremental add's parts: the byte codec, reference facts (split
// inference), the stat cache, and ingest_manifests against the one-shot
// reader it replaces for `kix store add`.
#include "store/ingest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "manifest/merkle.h"
#include "manifest/reference_facts.h"
#include "manifest/references.h"
#include "manifest/secret_seal.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/store_test_support.h"
#include "tests/unit/temp_dir.h"
#include "util/byte_codec.h"

namespace kix {
namespace {

constexpr const char* kApp = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: web-data}}
      - name: p
        projected: {sources: [{configMap: {name: web-env}}, {secret: {name: web-secret}}]}
      containers:
      - name: web
        image: web:1
        envFrom: [{configMapRef: {name: web-env}}]
        env: [{name: A, valueFrom: {secretKeyRef: {name: web-secret, key: a}}}]
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
data: {A: "1"}
---
apiVersion: kix.dev/v1
kind: RequiredSecret
metadata: {name: web-secret, namespace: app}
keys: [a]
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
roleRef: {kind: Role, name: reader}
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
  tls: [{secretName: web-secret}]
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

std::vector<Manifest> parse(const std::string& yaml) {
  Diagnostics diags;
  std::vector<Manifest> out;
  append_manifests(parse_yaml(yaml, "m.yaml", diags), out);
  return out;
}

TEST(ByteCodec, RoundTripsAndRefusesTruncatedInput) {
  std::string bytes;
  ByteWriter w(bytes);
  w.varint(0);
  w.varint(127);
  w.varint(128);
  w.varint(UINT64_MAX);
  w.bytes("hello");
  w.hash(Hash::of("x"));
  ByteReader r(bytes);
  uint64_t a, b, c, d;
  std::string s;
  Hash h;
  ASSERT_TRUE(r.varint(a) && r.varint(b) && r.varint(c) && r.varint(d) && r.bytes(s) && r.hash(h));
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 127u);
  EXPECT_EQ(c, 128u);
  EXPECT_EQ(d, UINT64_MAX);
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(h, Hash::of("x"));
  EXPECT_TRUE(r.at_end());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    ByteReader t(std::string_view(bytes).substr(0, cut));
    bool whole =
        t.varint(a) && t.varint(b) && t.varint(c) && t.varint(d) && t.bytes(s) && t.hash(h);
    EXPECT_FALSE(whole) << "cut at " << cut;
    EXPECT_FALSE(t.ok());
  }
  const std::string eleven(11, '\xff');  // a reader views its input: keep it alive
  ByteReader overlong(eleven);
  EXPECT_FALSE(overlong.varint(a));
}

TEST(ReferenceFacts, EncodedFactsResolveToTheSameEdgesAsOnePass) {
  auto ms = parse(kApp);
  auto expected = infer_references(ms);
  std::string bytes;
  ByteWriter w(bytes);
  for (const Manifest& m : ms) encode_reference_facts(extract_reference_facts(m), w);
  ByteReader r(bytes);
  std::vector<ReferenceFacts> decoded(ms.size());
  std::vector<const ResourceId*> ids;
  std::vector<const ReferenceFacts*> facts;
  for (size_t i = 0; i < ms.size(); ++i) {
    ASSERT_TRUE(decode_reference_facts(r, decoded[i]));
    EXPECT_EQ(decoded[i], extract_reference_facts(ms[i]));
    ids.push_back(&ms[i].id);
    facts.push_back(&decoded[i]);
  }
  EXPECT_TRUE(r.at_end());
  auto resolved = resolve_references(ids, facts);
  ASSERT_EQ(resolved.size(), expected.size());
  size_t edges = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    ASSERT_EQ(resolved[i].size(), expected[i].size()) << ms[i].id.display();
    for (size_t k = 0; k < resolved[i].size(); ++k) {
      EXPECT_EQ(resolved[i][k].to, expected[i][k].to);
      EXPECT_EQ(resolved[i][k].reason, expected[i][k].reason);
      ++edges;
    }
  }
  EXPECT_GE(edges, 11u);
  // The Service selects the Deployment by its pod labels; the Deployment
  // reaches the RequiredSecret by its Secret name.
  EXPECT_EQ(ms[resolved[1][0].to].id.kind, "Deployment");
  bool secret = false;
  for (const auto& e : resolved[0]) secret |= ms[e.to].id.kind == "RequiredSecret";
  EXPECT_TRUE(secret);
}

TEST(ReferenceFacts, MalformedBytesAreRefused) {
  auto ms = parse(kApp);
  std::string bytes;
  ByteWriter w(bytes);
  encode_reference_facts(extract_reference_facts(ms[0]), w);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    ByteReader r(std::string_view(bytes).substr(0, cut));
    ReferenceFacts f;
    EXPECT_FALSE(decode_reference_facts(r, f)) << "cut at " << cut;
  }
}

class IngestTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir.path() / "in" / name).parent_path());
    std::ofstream(dir.path() / "in" / name) << text;
  }
  // Sets every input file's mtime two hours back: no file is racily clean
  // by its mtime; the ctime is now, which a test moves past with `age`.
  void age_mtimes() {
    for (auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "in")) {
      if (!e.is_regular_file()) continue;
      std::filesystem::last_write_time(
          e.path(), std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
    }
  }
  std::unique_ptr<Ingest> ingest(size_t budget = 4u << 20) {
    IngestOptions options;
    options.cache_file = dir.path() / "cache";
    options.version_tag = "test";
    options.memory_budget_bytes = budget;
    options.spool_dir = dir.path();
    Diagnostics diags;
    return ingest_manifests({(dir.path() / "in").string()}, diags, options);
  }
  Graph one_pass() {
    Diagnostics diags;
    return build_graph_inferred(load_manifests({(dir.path() / "in").string()}, diags));
  }
  void split_app() {
    std::string app = kApp;
    size_t at = 0, n = 0;
    while (true) {
      size_t next = app.find("---\n", at);
      write("doc-" + std::to_string(10 + n++) + ".yaml", app.substr(at, next - at));
      if (next == std::string::npos) break;
      at = next + 4;
    }
  }
  testing::TempDir dir;
};

void expect_same_graph(const CompactGraph& a, const Graph& b) {
  ASSERT_EQ(a.size(), b.manifests.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.id(i).id(), b.manifests[i].id);
    EXPECT_EQ(a.blob(i), b.manifests[i].blob);
    EXPECT_EQ(a.canonical_size(i), b.manifests[i].canonical.size());
    EXPECT_EQ(a.location(i).str(), b.manifests[i].location.str());
    EXPECT_EQ(a.nodes()[i], b.nodes[i]);
    ASSERT_EQ(a.ref_count(i), b.refs[i].size());
    for (size_t k = 0; k < a.ref_count(i); ++k) {
      EXPECT_EQ(a.ref(i, k), b.refs[i][k]);
      EXPECT_EQ(a.ref_reason(i, k), b.ref_reasons[i][k]);
    }
    if (auto held = a.held_canonical(i)) {
      EXPECT_EQ(*held, b.manifests[i].canonical);
    }
  }
  EXPECT_EQ(a.warnings(), b.warnings);
  EXPECT_EQ(a.root("c"), b.root("c"));
}

TEST_F(IngestTest, UnchangedFilesComeFromTheCacheWithTheSameGraph) {
  split_app();
  age_mtimes();
  Graph expected = one_pass();
  auto first = ingest();
  expect_same_graph(first->graph(), expected);
  EXPECT_EQ(first->stats().read_files, first->stats().files);
  first->save_cache();
  // Read a moment after their ctime: still racily clean, read again.
  auto second = ingest();
  EXPECT_EQ(second->stats().cached_files, 0u);
  second->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto third = ingest();
  third->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto fourth = ingest();
  EXPECT_EQ(fourth->stats().cached_files, fourth->stats().files);
  EXPECT_EQ(fourth->stats().read_files, 0u);
  expect_same_graph(fourth->graph(), expected);
  for (size_t i = 0; i < fourth->graph().size(); ++i) {
    EXPECT_EQ(fourth->graph().place(i), CompactGraph::Place::kInFile);
    EXPECT_FALSE(fourth->graph().held_canonical(i).has_value());
  }
  // Elided bytes come back from the files, checked against their blobs.
  MemoryStore store;
  AddOptions options;
  options.blob_source = fourth.get();
  AddResult r = store.add(fourth->graph(), options);
  EXPECT_EQ(r.root, expected.root(""));
  for (const Manifest& m : expected.manifests) EXPECT_EQ(store.read_blob(m.blob), m.canonical);
}

TEST_F(IngestTest, AChangedFileIsReadAgainAndItsDependentsRehash) {
  split_app();
  age_mtimes();
  ingest()->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ingest()->save_cache();
  // Same size, other bytes: the ConfigMap's value "1" becomes "2".
  std::string cm =
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-env, namespace: app}\n"
      "data: {A: \"2\"}\n";
  write("doc-13.yaml", cm);
  auto again = ingest();
  EXPECT_EQ(again->stats().read_files, 1u);
  expect_same_graph(again->graph(), one_pass());
  // The saved cache holds the new entry in place of the old one, and the
  // loaded entries beside it.
  again->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ingest()->save_cache();  // the changed file is no longer racily clean
  auto cached = ingest();
  EXPECT_EQ(cached->stats().cached_files, cached->stats().files);
  expect_same_graph(cached->graph(), one_pass());
  EXPECT_EQ(IngestCache::load(dir.path() / "cache", "test").size(), cached->stats().files);
}

TEST_F(IngestTest, ABudgetOfZeroSpoolsEveryManifest) {
  write("all.yaml", kApp);
  auto spooled = ingest(0);
  EXPECT_GT(spooled->stats().spooled_bytes, 0u);
  EXPECT_GT(spooled->stats().spooled_facts_bytes, 0u);
  Graph expected = one_pass();
  expect_same_graph(spooled->graph(), expected);
  // A budget that holds the first documents' reference facts in memory
  // and spools the rest resolves the same edges.
  expect_same_graph(ingest(300)->graph(), expected);
  // The bytes come from the spool, not from the input, which may change
  // or go away meanwhile.
  std::filesystem::remove_all(dir.path() / "in");
  MemoryStore store;
  AddOptions options;
  options.blob_source = spooled.get();
  store.add(spooled->graph(), options);
  for (const Manifest& m : expected.manifests) EXPECT_EQ(store.read_blob(m.blob), m.canonical);
  // Without the source, a store refuses elided manifests instead of
  // storing empty blobs.
  MemoryStore other;
  EXPECT_THROW(other.add(spooled->graph(), AddOptions{}), Error);
  EXPECT_TRUE(other.clusters().empty());
}

// A working memory smaller than what an add holds spills to a file: the
// graph, the hashes, the stored root and its next generation (a delta) are
// the same as in memory, and the store verifies.
TEST_F(IngestTest, AWorkingMemorySmallerThanTheAddSpillsWithTheSameResult) {
  auto app = [](int i, const std::string& value) {
    const std::string n = std::to_string(i);
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg-" + n +
           ", namespace: ns}\ndata: {v: \"" + value +
           "\"}\n---\n"
           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-" +
           n + ", namespace: ns}\nspec:\n  selector: {matchLabels: {app: web-" + n +
           "}}\n  template:\n    metadata: {labels: {app: web-" + n +
           "}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n"
           "        envFrom: [{configMapRef: {name: cfg-" +
           n +
           "}}]\n---\n"
           "apiVersion: v1\nkind: Service\nmetadata: {name: web-" +
           n + ", namespace: ns}\nspec: {selector: {app: web-" + n + "}, ports: [{port: 80}]}\n";
  };
  constexpr int kApps = 3000;
  for (int i = 0; i < kApps; ++i) {
    write("app-" + std::to_string(i % 7) + "/a-" + std::to_string(i) + ".yaml", app(i, "1"));
  }
  age_mtimes();
  auto ingest_spilled = [&] {
    IngestOptions options;
    options.cache_file = dir.path() / "cache";
    options.version_tag = "test";
    options.spool_dir = dir.path();
    options.working_memory_bytes = 1u << 20;
    Diagnostics diags;
    auto in = ingest_manifests({(dir.path() / "in").string()}, diags, options);
    EXPECT_TRUE(diags.items().empty());
    return in;
  };
  auto store = SqliteStore::open(dir.path() / "store");
  for (int generation = 1; generation <= 2; ++generation) {
    if (generation == 2) write("app-3/a-10.yaml", app(10, "2"));
    auto spilled = ingest_spilled();
    const CompactGraph& graph = spilled->graph();
    EXPECT_GT(graph.working_memory()->extent(), size_t{1} << 20);
    EXPECT_TRUE(graph.working_memory()->fallback_reason().empty());
    const Graph expected = one_pass();
    ASSERT_EQ(expected.manifests.size(), 3u * kApps);
    expect_same_graph(graph, expected);
    AddOptions options;
    options.blob_source = spilled.get();
    options.cluster = "c";
    const AddResult added = store->add(graph, options);
    EXPECT_EQ(added.root, expected.root("c"));
    if (generation == 2) {
      // Against the first generation, read into the working memory: only
      // the changed ConfigMap's blob is new, and only the nodes whose hash
      // it changes.
      EXPECT_EQ(added.new_blobs, 1u);
      EXPECT_GE(added.new_nodes, 2u);
      EXPECT_LE(added.new_nodes, 3u);
    }
    spilled->save_cache();
  }
  EXPECT_TRUE(store->verify({}).ok());
}

// Every add loads the whole cache: entries of files it did not see (other
// checkouts) are kept only up to the bound, the most recently used first.
// Stat'ing relative to the open directory gives what stat by path gives,
// for paths that move between directories and back, and for what is not a
// regular file.
TEST(FileIdentityReader, AnswersAsFileIdentityDoes) {
  testing::TempDir dir;
  const auto& root = dir.path();
  std::filesystem::create_directories(root / "a");
  std::filesystem::create_directories(root / "b" / "c");
  std::ofstream(root / "a" / "x.yaml") << "x";
  std::ofstream(root / "a" / "z.yaml") << "zz";
  std::ofstream(root / "b" / "y.yaml") << "yyy";
  std::ofstream(root / "b" / "c" / "w.yaml") << "w";
  std::filesystem::create_symlink(root / "a" / "x.yaml", root / "b" / "link.yaml");
  const std::vector<std::filesystem::path> paths = {
      root / "a" / "x.yaml",    root / "b" / "y.yaml",
      root / "a" / "z.yaml",    root / "b" / "c" / "w.yaml",
      root / "b" / "link.yaml", root / "b" / "missing.yaml",
      root / "b" / "c",         root / "gone" / "x.yaml",
      root / "a" / "x.yaml"};
  FileIdentityReader reader;
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    EXPECT_EQ(reader.identity(path.string()), file_identity(path.string()));
  }
  EXPECT_TRUE(reader.identity((root / "b" / "link.yaml").string()).has_value());
  EXPECT_FALSE(reader.identity((root / "b" / "c").string()).has_value());
  EXPECT_FALSE(reader.identity((root / "b" / "c" / "").string()).has_value());
}

// Enough files that their identities are read from two threads: the cache
// answers for all of them, and a changed file in either half is read again.
TEST_F(IngestTest, ManyFilesAreStatedInParallelWithTheSameAnswers) {
  constexpr int kFiles = 4200;
  for (int i = 0; i < kFiles; ++i) {
    write("ns-" + std::to_string(i % 3) + "/cm-" + std::to_string(i) + ".yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-" + std::to_string(i) +
              ", namespace: ns-" + std::to_string(i % 3) + "}\ndata: {v: \"1\"}\n");
  }
  age_mtimes();
  ingest()->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ingest()->save_cache();
  auto cached = ingest();
  EXPECT_EQ(cached->stats().files, static_cast<size_t>(kFiles));
  EXPECT_EQ(cached->stats().cached_files, static_cast<size_t>(kFiles));
  for (int i : {5, kFiles - 5}) {
    write("ns-" + std::to_string(i % 3) + "/cm-" + std::to_string(i) + ".yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-" + std::to_string(i) +
              ", namespace: ns-" + std::to_string(i % 3) + "}\ndata: {v: \"2\"}\n");
  }
  auto changed = ingest();
  EXPECT_EQ(changed->stats().read_files, 2u);
  expect_same_graph(changed->graph(), one_pass());
}

TEST(IngestCacheBound, OtherCheckoutsBeyondTheBoundGoLeastRecentlyUsedFirst) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "cache";
  const FileIdentity old_file{1, 2, 3, 1'000'000'000, 1'000'000'000};
  const int64_t read_ns = 5'000'000'000;
  auto add_checkout = [&](const std::string& name, size_t files) {
    IngestCache cache = IngestCache::load(file, "test");
    cache.set_min_other_entries(4);
    for (size_t i = 0; i < files; ++i) {
      cache.put("/" + name + "/f" + std::to_string(i), old_file, read_ns, {});
    }
    cache.save(file);
    // Entries are "used" when put: the next checkout is later.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  add_checkout("a", 3);
  add_checkout("b", 3);
  add_checkout("c", 3);
  // c is this add's (3) and the others are bounded by max(4, 3): b's three
  // and one of a's, the rest of a dropped.
  IngestCache after = IngestCache::load(file, "test");
  EXPECT_EQ(after.size(), 3u + 4u);
  size_t from_a = 0, from_b = 0;
  for (size_t i = 0; i < 3; ++i) {
    from_a += after.find("/a/f" + std::to_string(i), old_file).has_value();
    from_b += after.find("/b/f" + std::to_string(i), old_file).has_value();
  }
  EXPECT_EQ(from_b, 3u);
  EXPECT_EQ(from_a, 1u);
  // What an add finds is never dropped: finding a's last file and b's
  // files, then saving, keeps them whatever their age.
  after.set_min_other_entries(0);
  after.save(file);
  IngestCache again = IngestCache::load(file, "test");
  EXPECT_EQ(again.size(), 4u + 3u);  // found 4, others bounded by the 4 found: c's 3 kept
}

// Entries are looked up by path whatever order they were put and are
// asked for in; a path put again answers with its new record only.
TEST(IngestCacheLookup, FindsEveryEntryInAnyOrderAndAChangedFileByItsNewRecord) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "cache";
  const FileIdentity first{1, 2, 3, 1'000'000'000, 1'000'000'000};
  const FileIdentity second{1, 2, 4, 1'000'000'000, 1'000'000'000};
  const int64_t read_ns = 5'000'000'000;
  std::vector<std::string> paths;
  for (int i = 0; i < 40; ++i) paths.push_back("/r/" + std::to_string((i * 17) % 40) + ".yaml");
  paths.push_back("/r/a-b.yaml");
  paths.push_back("/r/a/b.yaml");
  {
    IngestCache cache = IngestCache::load(file, "test");
    for (const auto& p : paths) cache.put(p, first, read_ns, {});
    cache.save(file);
  }
  {
    IngestCache cache = IngestCache::load(file, "test");
    EXPECT_EQ(cache.size(), paths.size());
    cache.put("/r/7.yaml", second, read_ns, {});  // the file changed
    EXPECT_EQ(cache.size(), paths.size());
    cache.save(file);
  }
  IngestCache cache = IngestCache::load(file, "test");
  EXPECT_EQ(cache.size(), paths.size());
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    const bool changed = *it == "/r/7.yaml";
    EXPECT_EQ(cache.find(*it, first).has_value(), !changed) << *it;
    EXPECT_EQ(cache.find(*it, second).has_value(), changed) << *it;
  }
  EXPECT_FALSE(cache.find("/r/7", first).has_value());
  EXPECT_FALSE(cache.find("/r/zz.yaml", first).has_value());
}

// The cache is read through a window: a file of many chunks, with records
// that straddle them and one larger than a chunk, gives back every entry's
// documents exactly, whatever order they are asked for in.
TEST(IngestCacheLookup, RecordsAcrossAndLargerThanAReadChunkComeBackWhole) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "cache";
  const FileIdentity identity{1, 2, 3, 1'000'000'000, 1'000'000'000};
  const int64_t read_ns = 5'000'000'000;
  auto facts_of = [](size_t i) {
    const size_t n = i == 700 ? (600u << 10) : 100 + i % 400;  // one of 600 KiB
    return std::string(n, static_cast<char>('a' + i % 26));
  };
  auto path_of = [](size_t i) { return "/r/" + std::to_string(i) + ".yaml"; };
  constexpr size_t kFiles = 2000;
  {
    IngestCache cache = IngestCache::load(file, "test");
    // Put twice: the file holds both records, and the later one counts.
    cache.put(path_of(kFiles - 1), identity, read_ns, {});
    for (size_t i = 0; i < kFiles; ++i) {
      const std::string facts = facts_of(i);
      CachedDocument d{ResourceId{"v1", "ConfigMap", "ns", "cm-" + std::to_string(i)},
                       static_cast<int>(i + 1),
                       3,
                       Hash::of(facts),
                       i,
                       facts};
      cache.put(path_of(i), identity, read_ns, {d, d});
    }
    cache.save(file);
  }
  ASSERT_GT(std::filesystem::file_size(file), 2u << 20);
  IngestCache cache = IngestCache::load(file, "test");
  ASSERT_EQ(cache.size(), kFiles);
  auto expect_entry = [&](size_t i) {
    const auto entry = cache.find(path_of(i), identity);
    ASSERT_TRUE(entry.has_value()) << i;
    std::vector<CachedDocument> docs;
    ASSERT_TRUE(cache.documents(*entry, docs)) << i;
    ASSERT_EQ(docs.size(), 2u);
    const std::string facts = facts_of(i);
    for (const CachedDocument& d : docs) {
      EXPECT_EQ(d.id.name, "cm-" + std::to_string(i));
      EXPECT_EQ(d.line, static_cast<int>(i + 1));
      EXPECT_EQ(d.blob, Hash::of(facts));
      EXPECT_EQ(d.size, i);
      EXPECT_EQ(d.facts, facts) << i;
    }
    // Each document's facts, read back by their place in the file.
    for (const CachedDocument& d : docs) {
      EXPECT_EQ(cache.read_back(d.facts_offset, d.facts.size()),
                std::optional<std::string_view>(facts));
    }
  };
  for (size_t i = 0; i < kFiles; ++i) expect_entry(i);
  for (size_t i = kFiles; i-- > 0;) expect_entry((i * 7919) % kFiles);
  EXPECT_FALSE(cache.find("/r/2000.yaml", identity).has_value());
}

// A cache file written in place while an add has it open (cp over it):
// the cache says it changed and a save refuses to copy its records; one
// renamed over it (another add's new cache) leaves it as it was.
TEST(IngestCacheLookup, AFileWrittenInPlaceIsNotTrusted) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "cache";
  const FileIdentity identity{1, 2, 3, 1'000'000'000, 1'000'000'000};
  auto write = [&](const std::filesystem::path& to, int entries) {
    IngestCache cache = IngestCache::load(to, "test");
    for (int i = 0; i < entries; ++i) {
      cache.put("/w/" + std::to_string(i), identity, 5'000'000'000, {});
    }
    cache.save(to);
  };
  write(file, 3);
  {
    IngestCache replaced = IngestCache::load(file, "test");
    ASSERT_EQ(replaced.size(), 3u);
    write(dir.path() / "sub-cache", 5);
    std::filesystem::rename(dir.path() / "sub-cache", file);
    EXPECT_TRUE(replaced.unchanged());
  }
  IngestCache cache = IngestCache::load(file, "test");
  ASSERT_EQ(cache.size(), 5u);
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 1);
  EXPECT_FALSE(cache.unchanged());
  cache.put("/w/new", identity, 5'000'000'000, {});
  EXPECT_THROW(cache.save(dir.path() / "saved"), Error);
}

// A cache file whose checksum is right but whose content is not what a
// writer makes (cut short anywhere, or with any byte changed, and its
// checksum recomputed) loads without crashing or reading past its end:
// cut short it is an empty cache, and whatever a changed byte leaves is
// looked up and decoded safely.
TEST(IngestCacheLookup, MalformedContentUnderAValidChecksumIsHandled) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "cache";
  const FileIdentity identity{1, 2, 3, 1'000'000'000, 1'000'000'000};
  {
    IngestCache cache = IngestCache::load(file, "test");
    for (int i = 0; i < 4; ++i) {
      const std::string facts(20 + i, 'f');
      CachedDocument d{ResourceId{"v1", "ConfigMap", "ns", "cm" + std::to_string(i)},
                       1,
                       1,
                       Hash::of(facts),
                       7,
                       facts};
      cache.put("/m/" + std::to_string(i), identity, 5'000'000'000, {d});
    }
    cache.save(file);
  }
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), Hash::kSize);
  const std::string content = bytes.substr(0, bytes.size() - Hash::kSize);
  auto write_checked = [&](const std::string& c) {
    const Hash h = Hash::of(c);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << c;
    out.write(reinterpret_cast<const char*>(h.bytes().data()), Hash::kSize);
  };
  auto use = [&](IngestCache& cache) {
    for (int i = 0; i < 5; ++i) {
      if (auto entry = cache.find("/m/" + std::to_string(i), identity)) {
        std::vector<CachedDocument> docs;
        if (cache.documents(*entry, docs)) {
          for (const CachedDocument& d : docs)
            (void)cache.read_back(d.facts_offset, d.facts.size());
        }
      }
    }
  };
  write_checked(content);
  EXPECT_EQ(IngestCache::load(file, "test").size(), 4u);
  for (size_t cut = 0; cut < content.size(); ++cut) {
    write_checked(content.substr(0, cut));
    IngestCache cache = IngestCache::load(file, "test");
    EXPECT_EQ(cache.size(), 0u) << "cut at " << cut;
  }
  for (size_t at = 0; at < content.size(); ++at) {
    for (unsigned char to : {0x00, 0x7f, 0xff}) {
      std::string changed = content;
      changed[at] = static_cast<char>(to);
      write_checked(changed);
      IngestCache cache = IngestCache::load(file, "test");
      EXPECT_LE(cache.size(), 4u) << "byte " << at;
      use(cache);
    }
  }
}

// The cache is written beside its file while the add is ingested, and
// renamed into place only when saved (after the store took the blobs it
// promises); an ingest that is not saved leaves nothing behind. A staged
// file an hour old was left by a killed add and is removed; a recent one
// may be another container's add in progress and is kept.
TEST_F(IngestTest, TheCacheIsWrittenBesideItsFileAndInPlaceOnlyWhenSaved) {
  split_app();
  age_mtimes();
  const auto cache = dir.path() / "cache";
  auto staged_files = [&] {
    std::vector<std::string> names;
    const std::string mine = ".cache.stage-" + std::to_string(::getpid()) + "-";
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      const std::string name = e.path().filename().string();
      if (name.rfind(mine, 0) == 0) names.push_back(name);
    }
    return names;
  };
  const auto old_leftover = dir.path() / ".cache.stage-1-00000000000000aa";
  const auto recent_other = dir.path() / ".cache.stage-1-00000000000000bb";
  std::ofstream(old_leftover) << "left by a killed add";
  std::ofstream(recent_other) << "another container's add, in progress";
  std::filesystem::last_write_time(
      old_leftover, std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  {
    auto unsaved = ingest();
    EXPECT_EQ(staged_files().size(), 1u);
    EXPECT_FALSE(std::filesystem::exists(cache));
    EXPECT_FALSE(std::filesystem::exists(old_leftover));
    EXPECT_TRUE(std::filesystem::exists(recent_other));
  }
  EXPECT_TRUE(staged_files().empty());
  EXPECT_FALSE(std::filesystem::exists(cache));
  auto saved = ingest();
  saved->save_cache();
  EXPECT_TRUE(std::filesystem::exists(cache));
  EXPECT_TRUE(staged_files().empty());
  EXPECT_EQ(IngestCache::load(cache, "test").size(), saved->stats().files);
}

// A first add ingests before its store's directory exists: the cache is
// written whole when saved, once the directory is there.
TEST_F(IngestTest, ACacheWhoseDirectoryIsMadeLaterIsWrittenWhenSaved) {
  split_app();
  IngestOptions options;
  options.cache_file = dir.path() / "store" / "cache";
  options.version_tag = "test";
  Diagnostics diags;
  auto first = ingest_manifests({(dir.path() / "in").string()}, diags, options);
  std::filesystem::create_directory(dir.path() / "store");
  first->save_cache();
  EXPECT_EQ(IngestCache::load(options.cache_file, "test").size(), first->stats().files);
}

TEST_F(IngestTest, ADamagedOrForeignCacheIsAnEmptyCache) {
  split_app();
  age_mtimes();
  ingest()->save_cache();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ingest()->save_cache();
  ASSERT_GT(ingest()->stats().cached_files, 0u);
  auto size = std::filesystem::file_size(dir.path() / "cache");
  {
    std::fstream f(dir.path() / "cache", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x7f');
  }
  auto damaged = ingest();
  EXPECT_EQ(damaged->stats().cached_files, 0u);
  expect_same_graph(damaged->graph(), one_pass());
  IngestCache foreign = IngestCache::load(dir.path() / "cache", "another version");
  EXPECT_EQ(foreign.size(), 0u);
}

TEST_F(IngestTest, DanglingSymbolicLinksAndHiddenEntriesAreSkipped) {
  split_app();
  std::filesystem::create_symlink(dir.path() / "missing.yaml", dir.path() / "in" / "gone.yaml");
  std::ofstream(dir.path() / "outside.yaml")
      << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: linked, namespace: app}\n";
  std::filesystem::create_symlink(dir.path() / "outside.yaml", dir.path() / "in" / "zz-link.yaml");
  write(".hidden/x.yaml", "kind: [broken\n");
  write(".skip.yaml", "kind: [broken\n");
  Diagnostics diags;
  std::vector<std::filesystem::path> files;
  for (const auto& f : manifest_files(dir.path() / "in")) files.emplace_back(f);
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files.back().filename(), "zz-link.yaml");  // a link to a file is a file
  for (const auto& f : files) EXPECT_NE(f.filename(), "gone.yaml");
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_NO_THROW(ingest());
}

TEST_F(IngestTest, ADuplicateIsFoundBeforeAnySecretIsSealed) {
  write("a.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
        "stringData: {password: hunter2}\n");
  write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n");
  write("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n");
  // Without a keyring the Secret could not be sealed; the duplicate, found
  // first, is the error.
  try {
    ingest();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict) << e.message();
  }
}

// A Secret with values is added unsealed and sealed once the input is
// read: its blob, bytes and sealed values are those the one-pass graph
// gives with the same keyring, and nothing of its plaintext is kept.
TEST_F(IngestTest, SecretsWithValuesAreSealedAsInOnePass) {
  write("a.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
        "stringData: {password: hunter2}\n");
  write("b.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\n"
        "spec:\n  selector: {matchLabels: {app: d}}\n  template:\n"
        "    metadata: {labels: {app: d}}\n"
        "    spec: {containers: [{name: c, image: x, envFrom: [{secretRef: {name: s}}]}]}\n");
  FixedKeyring keys = testing::test_keyring();
  IngestOptions options;
  options.cache_file = dir.path() / "cache";
  options.version_tag = "test";
  options.spool_dir = dir.path();
  options.keys = &keys;
  options.memory_budget_bytes = 0;  // everything else spooled; a Secret is held
  Diagnostics diags;
  auto in = ingest_manifests({(dir.path() / "in").string()}, diags, options);
  Graph expected =
      build_graph_inferred(load_manifests({(dir.path() / "in").string()}, diags), &keys);
  expect_same_graph(in->graph(), expected);
  const CompactGraph& g = in->graph();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g.place(0), CompactGraph::Place::kHeld);
  ASSERT_NE(g.sealed(0), nullptr);
  EXPECT_EQ(g.sealed(0)->key_id, expected.manifests[0].sealed->key_id);
  EXPECT_EQ(g.sealed(1), nullptr);
  EXPECT_EQ(in->canonical(0), expected.manifests[0].canonical);
  EXPECT_EQ(in->canonical(0).find("hunter2"), std::string::npos);
  EXPECT_EQ(g.ref_count(1), 1u);
  // Its file is never cached: the stored form depends on the keyring.
  in->save_cache();
  auto again = ingest_manifests({(dir.path() / "in").string()}, diags, options);
  EXPECT_EQ(again->graph().place(0), CompactGraph::Place::kHeld);
}

TEST_F(IngestTest, ParseErrorsNameTheFirstFailingFile) {
  split_app();
  write("doc-12.yaml", "kind: [unclosed\n");
  write("doc-15.yaml", "also: [broken\n");
  try {
    ingest();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.where().file.find("doc-12.yaml"), std::string::npos) << e.where().str();
  }
}

}  // namespace
}  // namespace kix
