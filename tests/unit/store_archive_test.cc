#include "store/store_archive.h"

#include <gtest/gtest.h>

#include "store/error.h"
#include "store/verify.h"
#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

std::string error_of(std::string_view bytes) {
  try {
    read_archive(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.message();
  }
  ADD_FAILURE() << "archive accepted";
  return "";
}

class StoreArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    graph = graph_of(
        {config_map("cfg", "1"), deployment("web", "nginx", "cfg"), config_map("other", "2")});
    root = source.add(graph, in_cluster("prod")).root;
  }
  std::string tar_of(const std::string& archive) {
    return codec.decompress_bounded(archive, 1 << 24, "test");
  }

  TempDir dir;
  Store source = Store::open(dir.path() / "a");
  Graph graph;
  Hash root;
  ZstdCodec codec;
};

TEST_F(StoreArchive, RoundTripsARootIntoAnotherStore) {
  std::string archive = export_archive(source, {root}, {});
  ArchiveContents contents = read_archive(archive);
  EXPECT_EQ(contents.roots.size(), 1u);
  EXPECT_EQ(contents.nodes.size(), 3u);
  EXPECT_EQ(contents.blobs.size(), 3u);
  Store target = Store::open(dir.path() / "b");
  ImportResult r = import_archive(target, contents);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_EQ(r.new_blobs, 3u);
  EXPECT_EQ(target.find_root(root)->nodes, source.find_root(root)->nodes);
  EXPECT_EQ(target.refs_from(graph.nodes[1]).size(), 1u);
  EXPECT_TRUE(verify_store(target, {}).ok());
  EXPECT_EQ(import_archive(target, contents).new_blobs, 0u);  // idempotent
}

TEST_F(StoreArchive, ExportsANodeWithItsClosureOnly) {
  ArchiveContents contents = read_archive(export_archive(source, {}, {graph.nodes[1]}));
  EXPECT_TRUE(contents.roots.empty());
  EXPECT_EQ(contents.nodes.size(), 2u);  // the Deployment and its ConfigMap
}

TEST_F(StoreArchive, TheSameClosureGivesTheSameBytes) {
  EXPECT_EQ(export_archive(source, {root}, {}), export_archive(source, {root}, {}));
}

TEST_F(StoreArchive, RejectsTamperedContent) {
  std::string tar = tar_of(export_archive(source, {root}, {}));
  // Change one byte of the last blob's content (its header checksum stays valid).
  size_t pos = tar.rfind("\"cfg\"");
  ASSERT_NE(pos, std::string::npos);
  tar[pos + 1] = 'x';
  EXPECT_NE(error_of(codec.compress(tar)).find("does not match"), std::string::npos);
}

TEST_F(StoreArchive, RejectsBrokenStreamsAndTars) {
  std::string archive = export_archive(source, {root}, {});
  EXPECT_NE(error_of("").find("truncated"), std::string::npos);
  EXPECT_NE(error_of(archive.substr(0, archive.size() / 2)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of("not zstd at all").find("zstd"), std::string::npos);
  std::string tar = tar_of(archive);
  EXPECT_NE(error_of(codec.compress(tar.substr(0, tar.size() - 1024))).find("end marker"),
            std::string::npos);
  std::string bad_checksum = tar;
  bad_checksum[0] = 'K';
  EXPECT_NE(error_of(codec.compress(bad_checksum)).find("checksum"), std::string::npos);
  ArchiveLimits small;
  small.max_expanded_bytes = 1024;
  EXPECT_THROW(read_archive(archive, small), Error);
}

}  // namespace
}  // namespace kix
