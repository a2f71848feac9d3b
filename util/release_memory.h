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

// Makes the allocator give large blocks (256 KiB and up: read buffers,
// spools, big vectors) their own mappings and return them on free. glibc
// otherwise raises that threshold each time such a block is freed, after
// which large blocks come from the heap and leave holes it cannot return:
// about 5 MB of a 50,000-resource add's peak. Call once, at start, before
// threads exist. A no-op elsewhere.
void keep_large_blocks_mapped();

}  // namespace kix
