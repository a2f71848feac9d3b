#include "store/dependency_paths.h"

#include <gtest/gtest.h>

#include "store/memory_store.h"
#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;

TEST(DependencyPaths, FindsThePathWithItsReasons) {
  MemoryStore store;
  Graph g = graph_of({config_map("cfg", "1"), deployment("web", "nginx", "cfg")});
  Hash root = store.add(g, {}).root;
  DependencyPaths p = dependency_paths(store, root, ObjectKind::kRoot, g.nodes[0]);
  EXPECT_TRUE(p.root_contains_target);
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_EQ(p.paths[0].front().from, g.nodes[1]);
  EXPECT_NE(p.paths[0].front().reason.find("configMap"), std::string::npos);
  EXPECT_TRUE(dependency_paths(store, g.nodes[0], ObjectKind::kNode, g.nodes[1]).paths.empty());
}

// A ladder of 40 diamonds has 2^40 paths from top to bottom, and none to an
// unrelated node: the search must neither enumerate them nor walk them.
TEST(DependencyPaths, StaysLinearOnAGraphWithExponentiallyManyPaths) {
  std::vector<Manifest> manifests;
  std::vector<std::vector<size_t>> refs;
  const int rungs = 40;
  auto add = [&](const std::string& name, std::vector<size_t> to) {
    manifests.push_back(make_manifest(config_map(name, "x"), {}));
    refs.push_back(std::move(to));
    return manifests.size() - 1;
  };
  size_t unrelated = add("unrelated", {});
  size_t below = add("bottom", {});
  size_t bottom = below;
  for (int i = 0; i < rungs; ++i) {
    size_t left = add("l" + std::to_string(i), {below});
    size_t right = add("r" + std::to_string(i), {below});
    below = add("m" + std::to_string(i), {left, right});
  }
  Graph g = build_graph(std::move(manifests), std::move(refs));
  MemoryStore store;
  store.add(g, {});
  DependencyPaths none =
      dependency_paths(store, g.nodes[below], ObjectKind::kNode, g.nodes[unrelated]);
  EXPECT_TRUE(none.paths.empty());
  DependencyPaths many =
      dependency_paths(store, g.nodes[below], ObjectKind::kNode, g.nodes[bottom], 5);
  EXPECT_EQ(many.paths.size(), 5u);
  EXPECT_TRUE(many.truncated);
  EXPECT_EQ(many.paths[0].size(), static_cast<size_t>(2 * rungs));  // two edges a rung
}

}  // namespace
}  // namespace kix
