#include "util/release_memory.h"

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

}  // namespace kix
