// Runs body(i) for every i in [0, n) on up to `max_threads` threads (the
// calling one included), handing out indices one at a time from a shared
// counter, for loops whose iterations are independent and worth a thread.
//
// Errors: every index runs even when some throw; then the exception of the
// lowest index that threw is rethrown (the one a serial loop would meet
// first). If no second thread can be started, the caller's does the work.
// Thread-safety: `body` is called concurrently and must only write what
// belongs to its index.
#pragma once

#include <cstddef>
#include <functional>

namespace kix {

// The threads a CPU-bound loop should use here: the hardware's, at least 1,
// at most 8.
unsigned default_parallelism();

void parallel_for(size_t n, unsigned max_threads, const std::function<void(size_t)>& body);

}  // namespace kix
