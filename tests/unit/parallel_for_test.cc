#include "util/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kix {
namespace {

TEST(ParallelFor, RunsEveryIndexExactlyOnce) {
  for (unsigned threads : {1u, 2u, 8u}) {
    std::vector<std::atomic<int>> runs(1000);
    parallel_for(runs.size(), threads, [&](size_t i) { ++runs[i]; });
    for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i], 1) << i << " with " << threads;
  }
}

TEST(ParallelFor, NothingToDoCallsNothing) {
  parallel_for(0, 4, [](size_t) { FAIL(); });
  std::atomic<int> calls{0};
  parallel_for(1, 0, [&](size_t) { ++calls; });  // 0 threads means the caller's
  EXPECT_EQ(calls, 1);
}

TEST(ParallelFor, RethrowsTheLowestIndexThatFailed) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    try {
      parallel_for(200, 4, [](size_t i) {
        if (i == 17 || i == 150 || i == 199) throw std::runtime_error(std::to_string(i));
      });
      FAIL() << "nothing was thrown";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "17");
    }
  }
}

TEST(ParallelFor, NoIndexIsStartedAfterAFailure) {
  // One thread: indices run in order, so nothing after the failing one runs.
  std::vector<int> ran;
  EXPECT_THROW(parallel_for(100, 1,
                            [&](size_t i) {
                              ran.push_back(static_cast<int>(i));
                              if (i == 5) throw std::runtime_error("5");
                            }),
               std::runtime_error);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(ParallelFor, EachWorkerMakesItsStateOnceAndOnlyWhenItRuns) {
  for (unsigned threads : {1u, 3u, 8u}) {
    std::atomic<int> made{0};
    std::vector<std::atomic<int>> runs(500);
    parallel_for_workers(runs.size(), threads, [&] {
      ++made;
      auto calls = std::make_shared<int>(0);  // the worker's own state
      return [&runs, calls](size_t i) {
        ++*calls;
        ++runs[i];
      };
    });
    EXPECT_GE(made, 1);
    EXPECT_LE(made, static_cast<int>(threads));
    for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i], 1) << i;
  }
  std::atomic<int> made{0};
  parallel_for_workers(0, 4, [&] {
    ++made;
    return [](size_t) {};
  });
  EXPECT_EQ(made, 0);
}

TEST(ParallelFor, DefaultParallelismIsBetweenOneAndEight) {
  EXPECT_GE(default_parallelism(), 1u);
  EXPECT_LE(default_parallelism(), 8u);
}

}  // namespace
}  // namespace kix
