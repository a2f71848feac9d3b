// Working memory that spills to a file: contents survive trims, freed
// space goes back, and without a usable directory it is ordinary memory.
#include "util/spill_heap.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <memory_resource>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace kix {
namespace {

// The process's resident shared pages, as the heap reads them.
size_t resident_shared_pages() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0, shared = 0;
  statm >> size >> resident >> shared;
  return shared;
}

TEST(SpillHeap, ContentsSurviveTrimsAndGrowth) {
  testing::TempDir dir;
  SpillHeap heap(dir.path(), 1u << 20);
  // Vectors growing side by side, so blocks are freed in the middle too.
  std::pmr::vector<uint64_t> a(&heap), b(&heap);
  std::mt19937_64 rng(3);
  std::vector<uint64_t> want_a, want_b;
  for (size_t i = 0; i < 600000; ++i) {
    const uint64_t v = rng();
    (i % 3 == 0 ? a : b).push_back(v);
    (i % 3 == 0 ? want_a : want_b).push_back(v);
    if (i % 50000 == 0) heap.trim();
  }
  EXPECT_TRUE(heap.fallback_reason().empty()) << heap.fallback_reason();
  EXPECT_GT(heap.extent(), size_t{1} << 20);  // beyond the budget: in the file
  heap.trim();
  ASSERT_EQ(a.size(), want_a.size());
  ASSERT_EQ(b.size(), want_b.size());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), want_a.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), want_b.begin()));
  // Written after a trim, read after another.
  for (size_t i = 0; i < b.size(); i += 7) b[i] = ~want_b[i];
  heap.trim();
  for (size_t i = 0; i < b.size(); ++i) {
    ASSERT_EQ(b[i], i % 7 == 0 ? ~want_b[i] : want_b[i]) << i;
  }
}

TEST(SpillHeap, TouchesTrimWhatIsMappedBeyondTheBudget) {
  testing::TempDir dir;
  constexpr size_t kBudget = 1u << 20;
  SpillHeap heap(dir.path(), kBudget);
  std::pmr::vector<char> big(&heap);
  big.resize(size_t{64} << 20);  // 64 MiB, most of it in the file
  size_t most = 0;
  const size_t before = resident_shared_pages();
  for (size_t pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < big.size(); i += 4096) {
      big[i] = static_cast<char>(i >> 12);
      heap.touch();
      if (i % (1u << 20) == 0) most = std::max(most, resident_shared_pages());
    }
  }
  EXPECT_GT(heap.trims(), 0u);
  // Writing 64 MiB twice kept at most a few budgets of it mapped (the
  // check runs every 4,096 touches, 16 MiB of pages here).
  EXPECT_LT((most - std::min(most, before)) * 4096, size_t{24} << 20);
  for (size_t i = 0; i < big.size(); i += 4096) {
    ASSERT_EQ(big[i], static_cast<char>(i >> 12)) << i;
  }
}

// A list resized a page at a time is trimmed while it is written: a plain
// resize maps every page of it before any check can run.
TEST(SpillHeap, AListResizedByPagesIsTrimmedAsItIsWritten) {
  testing::TempDir dir;
  constexpr size_t kBudget = 1u << 20;
  SpillHeap heap(dir.path(), kBudget);
  std::pmr::vector<uint64_t> filler(&heap);
  filler.resize(kBudget / sizeof(uint64_t));  // the ordinary part, in use
  const size_t before = resident_shared_pages();
  std::pmr::vector<uint64_t> list(&heap);
  resize_by_pages(list, (size_t{32} << 20) / sizeof(uint64_t), &heap);
  const size_t after = resident_shared_pages();
  ASSERT_EQ(list.size(), (size_t{32} << 20) / sizeof(uint64_t));
  EXPECT_GT(heap.trims(), 0u);
  EXPECT_LT((after - std::min(after, before)) * 4096, size_t{8} << 20);
  for (size_t i = 0; i < list.size(); i += 512) ASSERT_EQ(list[i], 0u) << i;
  // Shrinking, and growing without working memory, are a plain resize.
  resize_by_pages(list, 10, &heap);
  EXPECT_EQ(list.size(), 10u);
  std::pmr::vector<uint64_t> plain;
  resize_by_pages(plain, 1000, nullptr);
  EXPECT_EQ(plain.size(), 1000u);
}

TEST(SpillHeap, SmallWorkingSetsNeverMakeAFile) {
  testing::TempDir dir;
  SpillHeap heap(dir.path(), 4u << 20);
  std::pmr::vector<int> v(1000, 7, &heap);
  for (int i = 0; i < 10000; ++i) heap.touch();
  EXPECT_EQ(heap.trims(), 0u);
  EXPECT_TRUE(heap.fallback_reason().empty());
  EXPECT_EQ(v[999], 7);
}

TEST(SpillHeap, AnUnwritableDirectoryFallsBackToMemory) {
  // A missing directory, which even root cannot write to.
  SpillHeap heap("/nonexistent/kix-spill-test", 1u << 20);
  std::pmr::vector<uint32_t> v(&heap);
  for (uint32_t i = 0; i < 2000000; ++i) v.push_back(i);
  EXPECT_NE(heap.fallback_reason().find("cannot create a temporary file in /nonexistent"),
            std::string::npos)
      << heap.fallback_reason();
  heap.trim();  // only the file's pages are ever dropped: none here
  for (uint32_t i = 0; i < v.size(); i += 1000) ASSERT_EQ(v[i], i);
}

TEST(SpillHeap, FreedSpaceIsTakenAgainOrGivenBack) {
  testing::TempDir dir;
  SpillHeap heap(dir.path(), 1u << 20);
  void* first = heap.allocate(100, 8);
  void* last = heap.allocate(size_t{8} << 20, 64);
  const size_t extent = heap.extent();
  heap.deallocate(last, size_t{8} << 20, 64);
  // The last block is the next one.
  void* again = heap.allocate(size_t{4} << 20, 64);
  EXPECT_EQ(again, last);
  EXPECT_LE(heap.extent(), extent);
  std::memset(again, 0x5a, size_t{4} << 20);
  // A block in the middle is not reused, and its bytes go back.
  void* after = heap.allocate(4096, 8);
  heap.deallocate(again, size_t{4} << 20, 64);
  EXPECT_GT(heap.extent(), extent - (size_t{4} << 20));
  EXPECT_EQ(heap.in_use(), 100u + 4096u);
  heap.deallocate(after, 4096, 8);
  heap.deallocate(first, 100, 8);
  EXPECT_EQ(heap.in_use(), 0u);
}

}  // namespace
}  // namespace kix
