#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "store/sqlite_store.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

class StoreDeployments : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<SqliteStore> store_owner = SqliteStore::open(dir.path());
  SqliteStore& store = *store_owner;
  Graph first = graph_of({config_map("cfg", "1")});
  Graph second = graph_of({config_map("cfg", "2")});
};

TEST_F(StoreDeployments, NoDeploymentBeforeTheFirstRecord) {
  store.add(first, in_cluster("prod"));
  EXPECT_FALSE(store.last_deployment("prod").has_value());
  EXPECT_TRUE(store.deployments("prod").empty());
}

TEST_F(StoreDeployments, RecordsTheGenerationOfTheDeployedRoot) {
  Hash root = store.add(first, in_cluster("prod")).root;
  Deployment d = store.record_deployment("prod", root, 2000, "prod-context");
  EXPECT_EQ(d.generation, 1);
  auto last = store.last_deployment("prod");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->cluster, "prod");
  EXPECT_EQ(last->root, root);
  EXPECT_EQ(last->time, 2000);
  EXPECT_EQ(last->context, "prod-context");
  EXPECT_EQ(last->generation, 1);
}

TEST_F(StoreDeployments, RecordingAppendsNoGeneration) {
  Hash old_root = store.add(first, in_cluster("prod")).root;
  store.add(second, in_cluster("prod"));
  store.record_deployment("prod", old_root, 3000, "");
  EXPECT_EQ(store.generations("prod").size(), 2u);
  EXPECT_EQ(store.last_deployment("prod")->generation, 1);
}

TEST_F(StoreDeployments, TheLastRecordWinsAndAllAreListedOldestFirst) {
  Hash one = store.add(first, in_cluster("prod")).root;
  Hash two = store.add(second, in_cluster("prod")).root;
  store.record_deployment("prod", one, 100, "a");
  store.record_deployment("prod", two, 200, "b");
  store.record_deployment("prod", one, 300, "c");
  auto all = store.deployments("prod");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].context, "a");
  EXPECT_EQ(all[1].generation, 2);
  EXPECT_EQ(all[2].time, 300);
  EXPECT_EQ(store.last_deployment("prod")->root, one);
  EXPECT_EQ(store.last_deployment("prod")->generation, 1);
}

TEST_F(StoreDeployments, ClustersAreSeparate) {
  Hash prod = store.add(first, in_cluster("prod")).root;
  store.add(first, in_cluster("staging"));
  store.record_deployment("prod", prod, 100, "");
  EXPECT_TRUE(store.last_deployment("prod").has_value());
  EXPECT_FALSE(store.last_deployment("staging").has_value());
}

TEST_F(StoreDeployments, ARootOfNoGenerationHasNoNumber) {
  AddOptions no_cluster;
  Hash root = store.add(first, no_cluster).root;
  Deployment d = store.record_deployment("prod", root, 100, "");
  EXPECT_FALSE(d.generation.has_value());
  EXPECT_FALSE(store.last_deployment("prod")->generation.has_value());
}

TEST_F(StoreDeployments, RefusesARootThatIsNotStored) {
  Hash unknown = Hash::of("not a root");
  try {
    store.record_deployment("prod", unknown, 100, "");
    FAIL() << "recorded an unknown root";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(e.message().find(unknown.hex()), std::string::npos);
  }
  EXPECT_FALSE(store.last_deployment("prod").has_value());
}

TEST_F(StoreDeployments, RefusesAnInvalidClusterName) {
  Hash root = store.add(first, in_cluster("prod")).root;
  EXPECT_ERROR_KIND(store.record_deployment("../prod", root, 100, ""), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kix
