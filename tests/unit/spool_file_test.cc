// Scratch storage for large intermediate data: the spool file, the byte
// arena, and streaming SHA-256.
#include "util/spool_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

#include <random>

#include "tests/unit/temp_dir.h"
#include "util/byte_arena.h"
#include "util/error.h"
#include "util/hash.h"

namespace kix {
namespace {

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST(SpoolFile, GivesBackEveryRangeAcrossItsBufferAndTheFile) {
  testing::TempDir dir;
  SpoolFile spool(dir.path());
  EXPECT_TRUE(spool.fallback_reason().empty());
  // Nothing is left in the directory: the file is unlinked at once.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  std::mt19937 rng(7);
  std::vector<std::pair<uint64_t, std::string>> parts;
  std::string all;
  // Sizes around the 1 MiB write buffer, so ranges start in the file and
  // end in the buffer, and some are larger than the buffer.
  for (size_t n : {10u, 1000u, 1048000u, 700u, 3000000u, 1u, 0u, 524288u, 99u}) {
    std::string bytes = random_bytes(rng, n);
    uint64_t at = spool.append(bytes);
    EXPECT_EQ(at, all.size());
    all += bytes;
    parts.emplace_back(at, std::move(bytes));
  }
  EXPECT_EQ(spool.size(), all.size());
  for (const auto& [at, bytes] : parts) EXPECT_EQ(spool.read(at, bytes.size()), bytes);
  EXPECT_EQ(spool.read(5, 2000000), all.substr(5, 2000000));
  std::string copied;
  spool.copy_to([&](std::string_view chunk) { copied += chunk; });
  EXPECT_EQ(copied, all);
  // Appending after reading keeps both views consistent.
  uint64_t at = spool.append("tail");
  EXPECT_EQ(spool.read(at, 4), "tail");
  EXPECT_EQ(spool.read(0, 10), all.substr(0, 10));
  EXPECT_THROW(spool.read(spool.size() - 2, 3), Error);
}

// A window gives what read() gives, in order and out of it, for records
// smaller and larger than the window, across the file and the buffer.
TEST(SpoolWindow, GivesWhatTheSpoolGivesInAnyOrder) {
  testing::TempDir dir;
  SpoolFile spool(dir.path());
  std::mt19937 rng(11);
  std::vector<std::pair<uint64_t, std::string>> parts;
  for (int i = 0; i < 400; ++i) {
    std::string bytes = random_bytes(rng, i % 50 == 0 ? 5000 : rng() % 300);
    parts.emplace_back(spool.append(bytes), std::move(bytes));
  }
  for (size_t window_bytes : {1u, 1000u, 1u << 20}) {
    SpoolWindow window(spool, window_bytes);
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [at, bytes] : parts) EXPECT_EQ(window.read(at, bytes.size()), bytes);
    }
    for (size_t k = parts.size(); k-- > 0;) {
      EXPECT_EQ(window.read(parts[k].first, parts[k].second.size()), parts[k].second);
    }
    EXPECT_EQ(window.read(spool.size(), 0), "");
    EXPECT_THROW(window.read(spool.size() - 2, 3), Error);
    EXPECT_THROW(window.read(spool.size() + 1, 0), Error);
  }
}

TEST(SpoolFile, KeepsItsBytesInMemoryWhenNoFileCanBeCreated) {
  SpoolFile spool("/nonexistent/kix-spool-test");
  EXPECT_NE(spool.fallback_reason().find("/nonexistent/kix-spool-test"), std::string::npos)
      << spool.fallback_reason();
  std::string big(3u << 20, 'x');
  uint64_t a = spool.append(big);
  uint64_t b = spool.append("end");
  EXPECT_EQ(spool.read(a, big.size()), big);
  EXPECT_EQ(spool.read(b, 3), "end");
  std::string copied;
  spool.copy_to([&](std::string_view chunk) { copied += chunk; });
  EXPECT_EQ(copied, big + "end");
}

TEST(SpoolFile, KeepsTheRestInMemoryWhenTheFileCannotGrow) {
  // A file size limit stands in for a full disk: writes past it fail
  // (EFBIG; the signal that would otherwise end the process is ignored).
  testing::TempDir dir;
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 1536u << 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::mt19937 rng(5);
  std::string all;
  SpoolFile spool(dir.path());
  std::vector<std::pair<uint64_t, std::string>> parts;
  for (int i = 0; i < 12; ++i) {
    std::string bytes = random_bytes(rng, 400000 + i);
    parts.emplace_back(spool.append(bytes), bytes);
    all += bytes;
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(spool.fallback_reason().find("cannot write a temporary file"), std::string::npos)
      << spool.fallback_reason();
  for (const auto& [at, bytes] : parts) EXPECT_EQ(spool.read(at, bytes.size()), bytes);
  std::string copied;
  spool.copy_to([&](std::string_view chunk) { copied += chunk; });
  EXPECT_EQ(copied, all);
}

TEST(ByteArena, ViewsStayValidWhileTheArenaGrows) {
  ByteArena arena;
  std::mt19937 rng(3);
  std::vector<std::pair<std::string_view, std::string>> kept;
  for (int i = 0; i < 5000; ++i) {
    // Mostly small strings, some larger than a quarter block.
    size_t n = i % 997 == 0 ? 100000 : rng() % 300;
    std::string s = random_bytes(rng, n);
    kept.emplace_back(arena.copy(s), s);
  }
  for (const auto& [view, original] : kept) EXPECT_EQ(view, original);
  EXPECT_TRUE(arena.copy("").empty());
}

TEST(Sha256, PiecesHashLikeTheWhole) {
  std::mt19937 rng(11);
  std::string data = random_bytes(rng, 200000);
  for (size_t piece : {1u, 63u, 64u, 65u, 4096u, 200000u}) {
    Sha256 h;
    for (size_t at = 0; at < data.size(); at += piece)
      h.update(std::string_view(data).substr(at, piece));
    EXPECT_EQ(h.finish(), Hash::of(data)) << piece;
  }
  Sha256 empty;
  EXPECT_EQ(empty.finish(), Hash::of(""));
}

}  // namespace
}  // namespace kix
