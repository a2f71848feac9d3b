#include "util/release_memory.h"

// Any C library header defines __GLIBC__; without one first, the test below
// would always be false and both functions silently do nothing.
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kix {

void release_free_memory() {
#if defined(__GLIBC__)
  // Trims the top of every arena and, since glibc 2.8, returns whole free
  // pages inside them too.
  ::malloc_trim(0);
#endif
}

void keep_large_blocks_mapped() {
#if defined(__GLIBC__)
  // Setting it at all also turns off glibc's dynamic adjustment.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

}  // namespace kix
