#include "util/release_memory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kix {
namespace {

// A sanitizer replaces malloc (and answers mallinfo2 with zeros). GCC says
// so with __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KIX_TEST_OWN_ALLOCATOR 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define KIX_TEST_OWN_ALLOCATOR 0
#endif
#endif
#ifndef KIX_TEST_OWN_ALLOCATOR
#define KIX_TEST_OWN_ALLOCATOR 1
#endif
constexpr bool kOwnAllocator = KIX_TEST_OWN_ALLOCATOR;

// glibc raises its mmap threshold when a mapped block is freed; after
// keep_large_blocks_mapped a 1 MiB block freed and a 300 KiB one allocated
// must still get its own mapping. Fails if the functions compile to nothing.
TEST(ReleaseMemory, LargeBlocksKeepTheirOwnMapping) {
#if defined(__GLIBC__)
  if (!kOwnAllocator) GTEST_SKIP() << "a sanitizer replaces malloc";
  void* probe = std::malloc(64);
  bool glibc_answers = mallinfo2().uordblks > 0;
  std::free(probe);
  if (!glibc_answers) GTEST_SKIP() << "malloc is not glibc's";
  keep_large_blocks_mapped();
  // malloc serves a request from free heap blocks before it maps anything;
  // in a process that already freed that much (other tests before this one
  // in the same process) the block below says nothing about the threshold.
  if (mallinfo2().fordblks >= (300u << 10)) GTEST_SKIP() << "the heap already has free blocks";
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
