// Durable file writes: a file is either its old content or the complete new
// one, never a mix, and what a write reports as done survives a crash of
// the process and of the machine (data and directory entries are fsynced).
//
// Temporary files and directories are siblings of their target, named
// ".<target name>.<tag>-<pid>", so a rename never crosses a file system and
// a leftover of a killed process can be recognised and removed
// (remove_stale_siblings).
//
// Errors: every function throws kix::Error(kIo) naming the path, what the
// operating system said and what to do (a full disk says so).
// Thread-safety: the functions share no state; two writers of one target
// in one process must be serialised by the caller.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.h"

namespace kix {

// Replaces `path` with `bytes` atomically: a sibling temporary file is
// written, fsynced and renamed over `path`, then the directory is fsynced.
// The temporary file is removed when anything fails.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           mode_t mode = 0644);

// Creates `path`, which must not exist, with `bytes`, and fsyncs it. For
// files inside a temporary directory that is published as a whole.
void write_new_file(const std::filesystem::path& path, std::string_view bytes, mode_t mode = 0644);

// fsyncs a directory, making the creations and renames inside it durable.
void sync_directory(const std::filesystem::path& dir);

// ".<name of target>.<tag>-<pid of this process>", beside `target`.
std::filesystem::path temporary_sibling(const std::filesystem::path& target, std::string_view tag);

// Removes the siblings ".<name of target>.<tag>-<pid>" (files or whole
// directories) whose process no longer runs: what a killed writer left
// behind. With `only_tag`, only siblings of that tag (in a user's own
// directory, where ".<name>.backup-2024" may be theirs); without, every
// tag. Those of running processes are left alone. Returns how many were
// removed; errors while removing are ignored (the next call tries again).
size_t remove_stale_siblings(const std::filesystem::path& target, std::string_view only_tag = {});

// The kIo error for a failed operation on `path`: `what` is the operation
// ("cannot write"), `err` the errno value.
Error io_error(std::string_view what, const std::filesystem::path& path, int err);

// True when a process with this pid exists (it may belong to another user).
bool process_is_running(pid_t pid);

}  // namespace kix
