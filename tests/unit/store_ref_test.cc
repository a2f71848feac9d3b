#include "store/ref.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "tests/unit/store_test_support.h"
#include "util/error.h"
#include "util/suggest.h"

namespace kix {
namespace {

using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

class StoreRef : public ::testing::Test {
 protected:
  void SetUp() override {
    g1 = graph_of({config_map("a", "1")});
    g2 = graph_of({config_map("a", "2")});
    r1 = store.add(g1, in_cluster("production")).root;
    r2 = store.add(g2, in_cluster("production")).root;
  }
  Error error_of(const std::string& ref) {
    try {
      resolve_ref(store, ref);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << ref;
    return Error(ErrorKind::kInternal, "");
  }

  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph g1, g2;
  Hash r1, r2;
};

TEST_F(StoreRef, ResolvesFullHashesAndPrefixes) {
  EXPECT_EQ(resolve_ref(store, r1.hex()).hash, r1);
  EXPECT_EQ(resolve_ref(store, r1.hex().substr(0, 8)).hash, r1);
  auto node = resolve_ref(store, g2.nodes[0].hex().substr(0, 10));
  EXPECT_EQ(node.hash, g2.nodes[0]);
  EXPECT_EQ(node.kind, ObjectKind::kNode);
  // Upper case works too.
  std::string upper = r2.hex().substr(0, 12);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(resolve_ref(store, upper).hash, r2);
}

TEST_F(StoreRef, ResolvesGenerationsAndTheCurrentOne) {
  auto g = resolve_ref(store, "production@1");
  EXPECT_EQ(g.hash, r1);
  ASSERT_TRUE(g.generation);
  EXPECT_EQ(g.generation->number, 1);
  EXPECT_EQ(resolve_ref(store, "production").hash, r2);
}

TEST_F(StoreRef, UnknownClusterSuggestsTheClosestName) {
  Error e = error_of("prodution");
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_NE(e.hint().find("production"), std::string::npos) << e.hint();
  EXPECT_EQ(error_of("production@9").kind(), ErrorKind::kNotFound);
  EXPECT_NE(error_of("production@9").hint().find("1, 2"), std::string::npos);
  EXPECT_EQ(error_of("production@x").kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(error_of("").kind(), ErrorKind::kInvalidInput);
}

TEST_F(StoreRef, UnknownHashSuggestsHashesSharingAPrefix) {
  std::string near = r1.hex().substr(0, 6) + (r1.hex()[6] == '0' ? "11" : "00");
  if (near == r2.hex().substr(0, 8)) GTEST_SKIP();
  Error e = error_of(near);
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_NE(e.hint().find(r1.hex()), std::string::npos) << e.hint();
}

TEST_F(StoreRef, RootRefRejectsNodes) {
  EXPECT_ERROR_KIND(resolve_root_ref(store, g1.nodes[0].hex()), ErrorKind::kInvalidInput);
  EXPECT_EQ(resolve_root_ref(store, "production@2").hash, r2);
}

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("prod", "prod"), 0u);
  EXPECT_EQ(edit_distance("prod", "prd"), 1u);
  EXPECT_EQ(edit_distance("prod", "prof"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

}  // namespace
}  // namespace kix
