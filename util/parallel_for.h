// Runs body(i) for every i in [0, n) on up to `max_threads` threads (the
// calling one included), handing out indices in increasing order from a
// shared counter, for loops whose iterations are independent and worth a
// thread.
//
// Errors: once a body throws, no further index is handed out; the bodies
// already running finish, and the exception of the lowest index that threw
// is rethrown. Every index below it was handed out before it, so that is
// the exception a serial loop would have met first. If no further thread
// can be started, the threads running (at least the caller's) do the work.
// Thread-safety: bodies run concurrently and must only write what belongs
// to their index (or to their worker, below).
#pragma once

#include <cstddef>
#include <functional>

namespace kix {

// The threads a CPU-bound loop should use here: the hardware's, at least 1,
// at most 8.
unsigned default_parallelism();

void parallel_for(size_t n, unsigned max_threads, const std::function<void(size_t)>& body);

// The same with state per worker (a decompression context, a buffer):
// `make_worker` is called once on each thread that takes part, before its
// first index, and returns the body that thread runs. It may be called
// concurrently; an exception from it counts as one from the thread's next
// index.
void parallel_for_workers(size_t n, unsigned max_threads,
                          const std::function<std::function<void(size_t)>()>& make_worker);

}  // namespace kix
