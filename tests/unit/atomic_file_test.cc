#include "util/atomic_file.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include "tests/unit/error_kind.h"

#include <fstream>

#include "tests/unit/store_test_support.h"

namespace kix {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(AtomicFile, ReplacesTheWholeFileAndLeavesNoTemporary) {
  TempDir dir;
  fs::path f = dir.path() / "archive.tar.zst";
  write_file_atomically(f, "old");
  write_file_atomically(f, "new content");
  EXPECT_EQ(read(f), "new content");
  for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path(), f);
}

TEST(AtomicFile, AFailedWriteKeepsTheOldFile) {
  TempDir dir;
  fs::path f = dir.path() / "out";
  write_file_atomically(f, "old");
  try {
    write_file_atomically(dir.path() / "missing" / "out", "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.message().find("missing"), std::string::npos);
  }
  EXPECT_EQ(read(f), "old");
}

TEST(AtomicFile, WriteNewFileRefusesToReplace) {
  TempDir dir;
  write_new_file(dir.path() / "a", "1");
  EXPECT_ERROR_KIND(write_new_file(dir.path() / "a", "2"), ErrorKind::kIo);
  EXPECT_EQ(read(dir.path() / "a"), "1");
}

TEST(AtomicFile, StaleSiblingsOfDeadProcessesAreRemoved) {
  TempDir dir;
  fs::path target = dir.path() / "result";
  fs::create_directories(dir.path() / ".result.tmp-999999999" / "deep");
  fs::create_directories(dir.path() / (".result.tmp-" + std::to_string(getpid())));
  fs::create_directories(dir.path() / ".other.tmp-999999999");
  fs::create_directories(dir.path() / ".result.tmp-notapid");
  EXPECT_EQ(remove_stale_siblings(target), 1u);
  EXPECT_FALSE(fs::exists(dir.path() / ".result.tmp-999999999"));
  EXPECT_TRUE(fs::exists(dir.path() / (".result.tmp-" + std::to_string(getpid()))));
  EXPECT_TRUE(fs::exists(dir.path() / ".other.tmp-999999999"));
  EXPECT_TRUE(fs::exists(dir.path() / ".result.tmp-notapid"));
  EXPECT_EQ(temporary_sibling(dir.path() / "out/", "tmp"),
            dir.path() / (".out.tmp-" + std::to_string(getpid())));
}

}  // namespace
}  // namespace kix
