// Reading a file through a window: every range in any order, nothing past
// the end.
#include "util/file_window.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace kix {
namespace {

TEST(FileWindow, GivesEveryRangeForwardBackwardAndAtRandom) {
  testing::TempDir dir;
  std::mt19937 rng(5);
  std::string all;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (int i = 0; i < 300; ++i) {
    // Mostly small records, a few larger than any window below.
    const size_t n = i % 60 == 0 ? 70000 : rng() % 500;
    ranges.emplace_back(all.size(), n);
    for (size_t k = 0; k < n; ++k) all.push_back(static_cast<char>(rng() & 0xff));
  }
  const std::filesystem::path path = dir.path() / "file";
  std::ofstream(path, std::ios::binary) << all;
  for (size_t window_bytes : {1u, 1000u, 1u << 16, 1u << 20}) {
    auto window = FileWindow::open(path, window_bytes);
    ASSERT_NE(window, nullptr);
    EXPECT_EQ(window->size(), all.size());
    auto expect = [&](uint64_t at, uint64_t n) {
      const auto got = window->read(at, n);
      ASSERT_TRUE(got.has_value()) << at << "+" << n;
      EXPECT_EQ(*got, std::string_view(all).substr(at, n)) << at << "+" << n;
    };
    for (const auto& [at, n] : ranges) expect(at, n);
    for (size_t k = ranges.size(); k-- > 0;) expect(ranges[k].first, ranges[k].second);
    std::vector<size_t> order(ranges.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t k : order) expect(ranges[k].first, ranges[k].second);
    expect(all.size(), 0);
    EXPECT_FALSE(window->read(all.size() - 2, 3).has_value());
    EXPECT_FALSE(window->read(all.size() + 1, 0).has_value());
    window->release();
    expect(0, 10);  // reads again after release()
  }
}

// A write in place is seen, and reads past a new, shorter end fail with
// a reason; a file renamed over the open one leaves it unchanged.
TEST(FileWindow, SeesAWriteInPlaceButNotAReplacement) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "file";
  const std::string first(100000, 'a');
  std::ofstream(path, std::ios::binary) << first;
  auto window = FileWindow::open(path, 4096);
  ASSERT_NE(window, nullptr);
  EXPECT_TRUE(window->unchanged());
  EXPECT_EQ(window->read(90000, 10).value_or("?"), "aaaaaaaaaa");
  {
    std::ofstream(dir.path() / "other", std::ios::binary) << std::string(5, 'b');
    std::filesystem::rename(dir.path() / "other", path);  // as a cache is replaced
  }
  EXPECT_TRUE(window->unchanged());
  EXPECT_EQ(window->read(10, 3).value_or("?"), "aaa");  // still the open file's bytes

  auto second = FileWindow::open(path, 4096);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->size(), 5u);
  std::filesystem::resize_file(path, 2);  // written in place, shorter
  EXPECT_FALSE(second->unchanged());
  EXPECT_FALSE(second->read(3, 2).has_value());
  EXPECT_EQ(second->error(), "the file ended early");
  EXPECT_EQ(second->read(0, 2).value_or("?"), "bb");
}

// A write in place that keeps the size and sets the mtime back (as
// rsync --inplace of an equally long file may) is seen by its ctime.
TEST(FileWindow, SeesASameSizeWriteWithItsMtimeSetBack) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "file";
  std::ofstream(path, std::ios::binary) << std::string(64, 'a');
  const auto mtime = std::filesystem::last_write_time(path);
  // Past a coarse clock's tick, so that the write's ctime differs.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto window = FileWindow::open(path);
  ASSERT_NE(window, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('b');
  }
  std::filesystem::last_write_time(path, mtime);
  EXPECT_EQ(std::filesystem::file_size(path), 64u);
  EXPECT_FALSE(window->unchanged());
}

TEST(FileWindow, OpensOnlyRegularFiles) {
  testing::TempDir dir;
  EXPECT_EQ(FileWindow::open(dir.path() / "missing"), nullptr);
  EXPECT_EQ(FileWindow::open(dir.path()), nullptr);
}

}  // namespace
}  // namespace kix
