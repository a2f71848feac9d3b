// The store against a trivial in-memory model under random add, pin,
// unpin and gc sequences; and the YAML writer against the YAML reader.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <ostream>
#include <set>

#include "manifest/document.h"
#include "manifest/yaml_writer.h"
#include "store/gc.h"
#include "store/verify.h"
#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

struct Op {
  int kind;                 // 0..2 add, 3 pin, 4 unpin, 5 gc
  int cluster;              // 0: no cluster, else cluster "c<N>"
  std::vector<int> values;  // one ConfigMap per entry: name cm<i>, value values[i]
  int target;               // which earlier root to pin or unpin
};

// How rapidcheck prints a failing sequence.
[[maybe_unused]] void showValue(const Op& op, std::ostream& os) {
  static constexpr const char* kNames[] = {"add", "add", "add", "pin", "unpin", "gc", "gc-keep-1"};
  os << kNames[op.kind];
  if (op.kind <= 2) {
    os << "(cluster " << op.cluster << ", values";
    for (int v : op.values) os << ' ' << v;
    os << ')';
  } else if (op.kind <= 4) {
    os << '(' << op.target << ')';
  }
}

// gen::element rather than gen::inRange: inRange scales with the size
// parameter, which would make the rarer operations never appear.
rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::element(0, 1, 2, 3, 4, 5, 6)),
      rc::gen::set(&Op::cluster, rc::gen::element(0, 1, 2)),
      rc::gen::set(&Op::values, rc::gen::container<std::vector<int>>(rc::gen::element(0, 1, 2))),
      rc::gen::set(&Op::target, rc::gen::element(0, 1, 2, 3, 5, 8, 13)));
}

// What the store should hold: every root that is kept by a generation or a
// pin, plus the roots added since the last gc.
struct Model {
  std::map<Hash, std::vector<Hash>> roots;               // present roots and their nodes
  std::map<std::string, std::vector<Hash>> generations;  // per cluster, oldest first
  std::set<Hash> pinned;
  std::vector<Hash> added;  // every root ever added, for pin/unpin targets
};

std::set<Hash> all_hashes(SqliteStore& store, const char* table) {
  std::set<Hash> out;
  auto db = testing::raw_database(store);
  auto s = db.prepare(std::string("SELECT hash FROM ") + table);
  while (s.step()) out.insert(s.column_hash(0));
  return out;
}

void apply(Store& store, Model& model, const Op& op) {
  if (op.kind <= 2) {
    std::vector<Json> manifests;
    for (size_t i = 0; i < op.values.size(); ++i) {
      manifests.push_back(
          testing::config_map("cm" + std::to_string(i), std::to_string(op.values[i])));
    }
    Graph g = testing::graph_of(manifests);
    AddOptions options;
    if (op.cluster > 0) options.cluster = "c" + std::to_string(op.cluster);
    AddResult r = store.add(g, options);
    std::vector<Hash> nodes = g.nodes;
    std::sort(nodes.begin(), nodes.end());
    model.roots[r.root] = nodes;
    if (options.cluster) model.generations[*options.cluster].push_back(r.root);
    model.added.push_back(r.root);
  } else if (op.kind == 3 || op.kind == 4) {
    if (model.added.empty()) return;
    Hash target = model.added[static_cast<size_t>(op.target) % model.added.size()];
    if (!model.roots.count(target)) {
      RC_ASSERT_THROWS(store.pin(target, ObjectKind::kRoot, 0));  // collected already
      return;
    }
    if (op.kind == 3) {
      RC_ASSERT(store.pin(target, ObjectKind::kRoot, 0) == !model.pinned.count(target));
      model.pinned.insert(target);
    } else {
      RC_ASSERT(store.unpin(target) == (model.pinned.erase(target) == 1));
    }
  } else {
    GcOptions options;
    if (op.kind == 6) {
      options.keep_generations = 1;
      for (auto& [cluster, roots] : model.generations) roots.erase(roots.begin(), roots.end() - 1);
    }
    store.collect_garbage(options);
    std::set<Hash> kept(model.pinned);
    for (const auto& [cluster, roots] : model.generations) kept.insert(roots.begin(), roots.end());
    std::erase_if(model.roots, [&](const auto& entry) { return !kept.count(entry.first); });
  }
}

void check(SqliteStore& store, const Model& model) {
  std::set<Hash> expected_roots, expected_nodes;
  for (const auto& [root, nodes] : model.roots) {
    expected_roots.insert(root);
    expected_nodes.insert(nodes.begin(), nodes.end());
    auto stored = store.find_root(root);
    RC_ASSERT(stored.has_value());
    RC_ASSERT(stored->nodes == nodes);
  }
  RC_ASSERT(all_hashes(store, "roots") == expected_roots);
  RC_ASSERT(all_hashes(store, "nodes") == expected_nodes);
  std::set<Hash> expected_blobs;
  for (const Hash& n : expected_nodes) expected_blobs.insert(store.find_node(n)->blob);
  RC_ASSERT(all_hashes(store, "blobs") == expected_blobs);
  for (const auto& [cluster, roots] : model.generations) {
    std::vector<Hash> stored;
    for (const Generation& g : store.generations(cluster)) stored.push_back(g.root);
    RC_ASSERT(stored == roots);
  }
}

RC_GTEST_PROP(StoreModel, BehavesLikeAnInMemoryModel, ()) {
  auto ops = *rc::gen::resize(30, rc::gen::container<std::vector<Op>>(gen_op()));
  testing::TempDir dir;
  auto store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Model model;
  for (const Op& op : ops) {
    apply(store, model, op);
    check(store, model);
  }
  RC_ASSERT(store.verify({}).ok());
}

// --- YAML round trip --------------------------------------------------------------

rc::Gen<std::string> gen_text() {
  return rc::gen::container<std::string>(rc::gen::element<char>(
      'a', 'z', 'Y', '1', '0', ' ', '\n', ':', '#', '-', '.', '\'', '"', '\\', '\t', '|', '>', '@',
      '&', '*', '!', '[', '{', ',', '%', '~', '?', '\r', '\x01'));
}

Json gen_yaml_value(int depth) {
  int choice = *rc::gen::inRange(0, depth > 0 ? 8 : 5);
  switch (choice) {
    case 0:
      return Json(*gen_text());
    case 1:
      return Json(*rc::gen::inRange<int64_t>(-100000, 100000));
    case 2:
      return Json(*rc::gen::inRange(-1000, 1000) / 16.0);
    case 3:
      return *rc::gen::arbitrary<bool>() ? Json(true) : Json(nullptr);
    case 4:
      return Json(*rc::gen::element<std::string>("yes", "No", "on", "1e3", "0o17", "0x1F", ".5",
                                                 "-.inf", "~", "", "null", "a\nb\n"));
    case 5:
    case 6: {
      Json obj = Json::object();
      int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) obj[*gen_text()] = gen_yaml_value(depth - 1);
      return obj;
    }
    default: {
      Json arr = Json::array();
      int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) arr.push_back(gen_yaml_value(depth - 1));
      return arr;
    }
  }
}

RC_GTEST_PROP(StoreYamlWriter, WrittenYamlReadsBackToTheSameCanonicalJson, ()) {
  Json value = Json::object();
  int n = *rc::gen::inRange(1, 5);
  for (int i = 0; i < n; ++i) value[*gen_text()] = gen_yaml_value(3);
  std::string yaml = to_yaml(value);
  Diagnostics diags;
  auto docs = parse_yaml(yaml, "out.yaml", diags);
  RC_ASSERT(docs.size() == 1u);
  RC_ASSERT(canonical_json(docs[0].value) == canonical_json(value));
  RC_ASSERT(diags.warning_count() == 0u);
}

}  // namespace
}  // namespace kix
