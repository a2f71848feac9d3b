#include "util/release_memory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kix {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kOwnAllocator = false;  // the sanitizer's allocator answers instead
#else
constexpr bool kOwnAllocator = true;
#endif

// glibc raises its mmap threshold when a mapped block is freed; after
// keep_large_blocks_mapped a 1 MiB block freed and a 300 KiB one allocated
// must still get its own mapping. Fails if the functions compile to nothing.
TEST(ReleaseMemory, LargeBlocksKeepTheirOwnMapping) {
#if defined(__GLIBC__)
  if (!kOwnAllocator) GTEST_SKIP() << "a sanitizer replaces malloc";
  keep_large_blocks_mapped();
  std::free(std::malloc(1u << 20));
  size_t before = static_cast<size_t>(mallinfo2().hblks);
  void* block = std::malloc(300u << 10);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(static_cast<size_t>(mallinfo2().hblks), before + 1);
  std::free(block);
  release_free_memory();
#else
  GTEST_SKIP() << "glibc only";
#endif
}

}  // namespace
}  // namespace kix
