// Creating many new files durably, from several threads at once.
//
// Each file is created (it must not exist), written and fsynced, as by
// write_new_file (util/atomic_file.h). fsync waits for the disk; on ext4
// and XFS the fsyncs of several threads are committed together in one
// journal transaction, so writing from several threads takes a fraction of
// the time of writing one file after another (1,500 files of 3 KB on the
// development machine's disk: 370–560 ms from one thread, 90–110 ms from
// sixteen). The contents are made on the writing threads too.
//
// Errors: after the first failure no further file is started; once every
// thread has stopped, the exception of the lowest index that failed (of
// `content` or of its write) is rethrown. Files already written stay (the
// caller writes into a temporary directory it removes on failure).
// Thread-safety: `content` is called concurrently, for different indices.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace kix {

// What to write as file `index` of a batch: its path and bytes.
struct NewFile {
  std::filesystem::path path;
  std::string bytes;
};

// Writes files 0..count-1, each given by `content(index)`, with `mode`,
// from up to `max_threads` threads (at least one; fewer for small batches).
void write_new_files(size_t count, const std::function<NewFile(size_t)>& content, mode_t mode,
                     size_t max_threads = 16);

}  // namespace kix
