#include "store/archive.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include "tests/unit/error_kind.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "store/verify.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;
using testing::TempDir;

std::string error_of(std::string_view bytes, const ArchiveLimits& limits = {}) {
  try {
    read_archive(bytes, limits);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.message();
  }
  ADD_FAILURE() << "archive accepted";
  return "";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// Runs a shell command (GNU tar, as a user would) and fails the test when
// it does not succeed.
void shell(const std::string& command) {
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class StoreArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    graph = graph_of(
        {config_map("cfg", "1"), deployment("web", "nginx", "cfg"), config_map("other", "2")});
    root = source.add(graph, in_cluster("prod")).root;
  }

  // The archive of `root` unpacked with GNU tar into dir/unpacked.
  std::filesystem::path unpack_export() {
    std::filesystem::path archive = dir.path() / "export.tar.zst";
    write_file(archive, write_archive(export_closure(source, {root}, {})));
    std::filesystem::path out = dir.path() / "unpacked";
    std::filesystem::create_directories(out);
    shell("tar --zstd -xf " + archive.string() + " -C " + out.string());
    return out;
  }

  // A zstd-compressed tar made by GNU tar of `members`, run in `cwd`.
  std::string gnu_tar(const std::filesystem::path& cwd, const std::string& members,
                      const std::string& flags = "") {
    std::filesystem::path out = dir.path() / "gnu.tar.zst";
    std::filesystem::remove(out);
    shell("cd " + cwd.string() + " && tar " + flags + " --zstd -cf " + out.string() + " " +
          members + " 2>/dev/null");
    return read_file(out);
  }

  TempDir dir;
  std::unique_ptr<SqliteStore> source_owner = SqliteStore::open(dir.path() / "a");
  SqliteStore& source = *source_owner;
  Graph graph;
  Hash root;
};

TEST_F(StoreArchive, RoundTripsARootIntoAnotherStore) {
  std::string archive = write_archive(export_closure(source, {root}, {}));
  Closure contents = read_archive(archive);
  EXPECT_EQ(contents.roots().size(), 1u);
  EXPECT_EQ(contents.nodes().size(), 3u);
  EXPECT_EQ(contents.blobs().size(), 3u);
  auto target_owner = SqliteStore::open(dir.path() / "b");
  SqliteStore& target = *target_owner;
  ImportResult r = target.import_closure(contents);
  EXPECT_EQ(r.roots, 1u);
  EXPECT_EQ(r.new_blobs, 3u);
  EXPECT_EQ(target.find_root(root)->nodes, source.find_root(root)->nodes);
  EXPECT_EQ(target.refs_from(graph.nodes[1]).size(), 1u);
  EXPECT_TRUE(target.verify({}).ok());
  EXPECT_EQ(target.import_closure(contents).new_blobs, 0u);  // idempotent
}

TEST_F(StoreArchive, ExportsANodeWithItsClosureOnly) {
  Closure contents = read_archive(write_archive(export_closure(source, {}, {graph.nodes[1]})));
  EXPECT_TRUE(contents.roots().empty());
  EXPECT_EQ(contents.nodes().size(), 2u);  // the Deployment and its ConfigMap
}

TEST_F(StoreArchive, TheSameClosureGivesTheSameBytes) {
  EXPECT_EQ(write_archive(export_closure(source, {root}, {})),
            write_archive(export_closure(source, {root}, {})));
}

TEST_F(StoreArchive, GnuTarReadsTheExportAndItsRepackIsAccepted) {
  std::filesystem::path unpacked = unpack_export();
  EXPECT_TRUE(std::filesystem::is_regular_file(unpacked / "kix-archive.json"));
  std::string blobs;
  for (const auto& e : std::filesystem::directory_iterator(unpacked / "blobs")) {
    blobs += " blobs/" + e.path().filename().string();
  }
  // GNU tar's own format (not pax), packed by hand: still a valid archive.
  Closure contents = read_archive(gnu_tar(unpacked, "kix-archive.json" + blobs));
  EXPECT_EQ(contents.roots().size(), 1u);
  EXPECT_EQ(contents.blobs().size(), 3u);
}

TEST_F(StoreArchive, RejectsTamperedContent) {
  std::filesystem::path unpacked = unpack_export();
  std::string blobs;
  bool changed = false;
  for (const auto& e : std::filesystem::directory_iterator(unpacked / "blobs")) {
    blobs += " blobs/" + e.path().filename().string();
    std::string text = read_file(e.path());
    size_t pos = text.find("\"cfg\"");
    if (pos != std::string::npos && !changed) {
      text[pos + 1] = 'x';
      write_file(e.path(), text);
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  EXPECT_NE(error_of(gnu_tar(unpacked, "kix-archive.json" + blobs)).find("hashes to"),
            std::string::npos);
}

TEST_F(StoreArchive, CarriesTheHistoryAndRefusesAHistoryThatDoesNotHoldTogether) {
  ExportRequest request;
  request.histories = {{"prod", std::nullopt, std::nullopt}};
  source.record_deployment("prod", root, 2000, "ctx");
  std::filesystem::path archive = dir.path() / "history.tar.zst";
  write_file(archive, write_archive(export_closure(source, request)));
  std::filesystem::path out = dir.path() / "history";
  std::filesystem::create_directories(out);
  shell("tar --zstd -xf " + archive.string() + " -C " + out.string());
  Json index = Json::parse(read_file(out / "kix-archive.json"));
  EXPECT_EQ(index["v"], 3);
  EXPECT_EQ(index["history"]["clusters"][0]["generations"][0]["number"], 1);
  std::string blobs;
  for (const auto& e : std::filesystem::directory_iterator(out / "blobs")) {
    blobs += " blobs/" + e.path().filename().string();
  }
  auto refused = [&](const std::function<void(Json&)>& edit) {
    Json changed = index;
    edit(changed);
    write_file(out / "kix-archive.json", changed.dump());
    return error_of(gnu_tar(out, "kix-archive.json" + blobs));
  };
  auto generation = [](Json& i) -> Json& { return i["history"]["clusters"][0]["generations"][0]; };
  auto record = [](Json& i) -> Json& { return i["history"]["clusters"][0]["deployments"][0]; };
  EXPECT_NE(
      refused([&](Json& i) { generation(i)["root"] = Hash::of("x").hex(); }).find("not carried"),
      std::string::npos);
  EXPECT_NE(refused([&](Json& i) { generation(i)["number"] = 0; }).find("not numbered from 1"),
            std::string::npos);
  EXPECT_NE(refused([&](Json& i) {
              i["history"]["clusters"][0]["generations"].push_back(generation(i));
            }).find("listed twice"),
            std::string::npos);
  EXPECT_NE(refused([&](Json& i) { record(i)["generation"] = 7; }).find("names generation 7"),
            std::string::npos);
  EXPECT_NE(refused([&](Json& i) {
              i["history"]["clusters"][0]["cluster"] = "a/b";
            }).find("the history of 'a/b'"),
            std::string::npos);
  EXPECT_NE(refused([&](Json& i) { generation(i)["time"] = "yesterday"; }).find("\"time\" must be"),
            std::string::npos);
  EXPECT_NE(refused([&](Json& i) {
              i["history"]["pins"].push_back(
                  {{"hash", Hash::of("y").hex()}, {"kind", "root"}, {"time", 1}});
            }).find("which is not carried"),
            std::string::npos);
  // Untouched, it reads and carries what the store holds.
  write_file(out / "kix-archive.json", index.dump());
  Closure contents = read_archive(gnu_tar(out, "kix-archive.json" + blobs));
  ASSERT_EQ(contents.history().clusters.size(), 1u);
  EXPECT_EQ(contents.history().clusters[0].generations, source.generations("prod"));
  EXPECT_EQ(contents.history().clusters[0].deployments, source.deployments("prod"));
}

TEST_F(StoreArchive, RejectsAnAbsolutePath) {
  write_file(dir.path() / "x" / "kix-archive.json", "{}");
  std::string archive = gnu_tar(dir.path(), (dir.path() / "x" / "kix-archive.json").string(), "-P");
  EXPECT_NE(error_of(archive).find("absolute path"), std::string::npos);
}

TEST_F(StoreArchive, RejectsDotDot) {
  write_file(dir.path() / "x" / "kix-archive.json", "{}");
  std::filesystem::create_directories(dir.path() / "x" / "sub");
  std::string archive = gnu_tar(dir.path() / "x" / "sub", "../kix-archive.json", "-P");
  EXPECT_NE(error_of(archive).find("contains '..'"), std::string::npos);
}

TEST_F(StoreArchive, RejectsSymbolicAndHardLinks) {
  std::filesystem::path x = dir.path() / "x";
  write_file(x / "kix-archive.json", "{}");
  std::filesystem::create_symlink("/etc/passwd", x / "link");
  EXPECT_NE(error_of(gnu_tar(x, "link")).find("'link' is a symbolic link"), std::string::npos);
  std::filesystem::create_hard_link(x / "kix-archive.json", x / "hard");
  EXPECT_NE(error_of(gnu_tar(x, "kix-archive.json hard")).find("'hard' is a hard link"),
            std::string::npos);
}

TEST_F(StoreArchive, RejectsAFifoAndADirectory) {
  std::filesystem::path x = dir.path() / "x";
  std::filesystem::create_directories(x / "blobs");
  ASSERT_EQ(mkfifo((x / "pipe").c_str(), 0600), 0);
  EXPECT_NE(error_of(gnu_tar(x, "pipe")).find("'pipe' is a FIFO"), std::string::npos);
  EXPECT_NE(error_of(gnu_tar(x, "blobs")).find("is a directory"), std::string::npos);
}

TEST_F(StoreArchive, RejectsUnexpectedNames) {
  std::filesystem::path x = dir.path() / "x";
  write_file(x / "notes.txt", "hello");
  EXPECT_NE(error_of(gnu_tar(x, "notes.txt")).find("unexpected entry 'notes.txt'"),
            std::string::npos);
}

TEST_F(StoreArchive, StopsAZstdBombAtTheExpandedSizeLimit) {
  // 256 MiB of zeros (a sparse file on disk) compress to a few kilobytes.
  std::filesystem::path x = dir.path() / "x";
  std::filesystem::create_directories(x);
  shell("truncate -s 256M " + (x / "kix-archive.json").string());
  std::string bomb = gnu_tar(x, "kix-archive.json");
  ASSERT_LT(bomb.size(), 1u << 20);
  ArchiveLimits limits;
  limits.max_expanded_bytes = 1 << 20;
  limits.max_entry_bytes = size_t{1} << 40;  // only the bytes actually expanded stop it
  EXPECT_NE(error_of(bomb, limits).find("expands to more than 1048576 bytes"), std::string::npos);
  // With the default limits the entry's size alone is refused.
  EXPECT_NE(error_of(bomb).find("is larger than"), std::string::npos);
}

TEST_F(StoreArchive, CountsHeadersTowardsTheExpandedSizeLimit) {
  // 300 empty files: no data at all, but 300 headers of 512 bytes.
  std::filesystem::path x = dir.path() / "x";
  std::string members;
  for (int i = 0; i < 300; ++i) {
    write_file(x / ("e" + std::to_string(i)), "");
    members += " e" + std::to_string(i);
  }
  ArchiveLimits limits;
  limits.max_expanded_bytes = 100 * 1024;
  EXPECT_NE(error_of(gnu_tar(x, members), limits).find("expands to more than 102400 bytes"),
            std::string::npos);
}

TEST_F(StoreArchive, RejectsTooManyEntries) {
  ArchiveLimits limits;
  limits.max_entries = 2;
  EXPECT_NE(
      error_of(write_archive(export_closure(source, {root}, {})), limits).find("too many entries"),
      std::string::npos);
}

TEST_F(StoreArchive, RejectsBrokenStreamsAndUncompressedTars) {
  std::string archive = write_archive(export_closure(source, {root}, {}));
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of(archive.substr(0, archive.size() / 2)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of("not zstd at all").find("zstd"), std::string::npos);
  std::filesystem::path x = dir.path() / "x";
  write_file(x / "kix-archive.json", "{}");
  shell("cd " + x.string() + " && tar -cf plain.tar kix-archive.json");
  EXPECT_NE(error_of(read_file(x / "plain.tar")).find("not compressed with zstd"),
            std::string::npos);
  ArchiveLimits small;
  small.max_expanded_bytes = 1024;
  EXPECT_ERROR_KIND(read_archive(archive, small), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kix
