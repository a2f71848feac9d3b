// Hands memory the process has freed back to the operating system.
//
// glibc keeps freed memory in its arenas (one per thread that allocated)
// for reuse, so a phase that parsed many documents on worker threads keeps
// its peak resident long after it ended. Calling this between phases of a
// large job (after an ingest, after training a dictionary) keeps the next
// phase's peak from stacking on the last one's. A no-op elsewhere.
// Thread-safety: safe to call from any thread.
#pragma once

namespace kix {

void release_free_memory();

}  // namespace kix
