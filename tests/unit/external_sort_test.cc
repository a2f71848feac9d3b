// Sorting through runs in a file: the same order as an in-memory stable
// sort, whatever the budget, with keys of any bytes and length.
#include "util/external_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/temp_dir.h"
#include "util/error.h"

namespace kix {
namespace {

using Sorted = std::vector<std::pair<std::string, uint32_t>>;

Sorted sorted_by(ExternalSorter& sorter) {
  Sorted out;
  sorter.finish([&](std::string_view key, uint32_t value) { out.emplace_back(key, value); });
  return out;
}

TEST(ExternalSorter, MatchesAStableSortAtAnyBudget) {
  testing::TempDir dir;
  std::mt19937 rng(11);
  Sorted keys;
  for (uint32_t i = 0; i < 20000; ++i) {
    // Few distinct keys among many (ties), bytes 0x00 and 0xff, prefixes of
    // each other, and now and then one longer than a run's read window.
    std::string key;
    const size_t length = i % 997 == 0 ? 70000 + rng() % 1000 : rng() % 6;
    constexpr char kBytes[] = {'\x00', '\x01', 'a', '\xff'};
    for (size_t k = 0; k < length; ++k) key.push_back(kBytes[rng() % 4]);
    keys.emplace_back(std::move(key), i);
  }
  Sorted want = keys;
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t budget : {size_t{4096}, size_t{100000}, size_t{1} << 30}) {
    ExternalSorter sorter(budget, dir.path());
    for (const auto& [key, value] : keys) sorter.add(key, value);
    const Sorted got = sorted_by(sorter);
    EXPECT_EQ(got, want) << "budget " << budget;
    if (budget < (1u << 20)) {
      EXPECT_GT(sorter.runs(), 1u) << budget;
    } else {
      EXPECT_EQ(sorter.runs(), 0u);
    }
  }
}

TEST(ExternalSorter, NothingAndOne) {
  ExternalSorter none(4096);
  EXPECT_TRUE(sorted_by(none).empty());
  ExternalSorter one(4096);
  one.add("k", 9);
  EXPECT_EQ(sorted_by(one), (Sorted{{"k", 9}}));
}

TEST(ExternalSorter, WithoutADirectoryRunsStayInMemory) {
  ExternalSorter sorter(4096, "/nonexistent/kix-sort-test");
  for (uint32_t i = 0; i < 3000; ++i) sorter.add(std::to_string(3000 - i), i);
  const Sorted got = sorted_by(sorter);
  ASSERT_EQ(got.size(), 3000u);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  EXPECT_GT(sorter.runs(), 1u);
}

TEST(ExternalSorter, RefusesUseAfterFinish) {
  ExternalSorter sorter;
  sorter.add("a", 1);
  sorted_by(sorter);
  EXPECT_THROW(sorter.add("b", 2), Error);
  EXPECT_THROW(sorted_by(sorter), Error);
}

}  // namespace
}  // namespace kix
