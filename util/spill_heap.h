// Memory for a large working set that the process can give back while
// keeping its contents: what an add holds per file and per resource (its
// graph, its lists) lives here, so that its resident memory stays within
// about 1.5 times a budget however many resources there are
// (docs/store.md, "Incremental add"; docs/performance.md, "What bounds
// each figure", Memory).
//
// A std::pmr::memory_resource. Allocations come from one reserved range
// of addresses, so a pointer stays valid for the heap's life and code
// reads and writes the memory as any other:
//   - the first `resident_budget` bytes (rounded up to 1 MiB) are
//     ordinary memory, so a small working set costs nothing more;
//   - beyond them, pages of an unlinked temporary file (in $TMPDIR, like
//     util/spool_file.h) are mapped in. trim() drops those from the
//     process: the kernel keeps their contents in the file's pages (the
//     page cache, written back and reclaimed under memory pressure when
//     $TMPDIR is on a disk; in a tmpfs they stay in memory) and maps them
//     back on the next access.
// touch() counts accesses; every so many of them (32 to 4,096, by the
// rate at which pages were mapped since the last trim, and at most a
// quarter of the allowance below in pages) the heap reads how
// many shared pages the process has mapped (/proc/self/statm) and trims
// when they grew since the last trim by more than the budget leaves beside
// the ordinary part in use (at least half the budget). Random access
// to a working set larger than the budget therefore costs page faults:
// sequential passes are cheap, a sort over spilled data is not.
//
// Space is taken from the end and never reused, except the last block
// allocated when it is freed; the whole pages of any other freed block of
// 64 KiB or more go back to the file system (a hole) or the kernel, so a
// growing vector's old copies cost addresses, not memory or disk. The
// file's blocks are reserved with fallocate(2) before any page of them is
// written, so on ext4, xfs or tmpfs a full disk is a fallback below, not
// a SIGBUS at a write (a copy-on-write file system such as btrfs may
// still need blocks when a page is written again).
//
// What stays resident is therefore about 1.5 times the budget: the
// ordinary part, and up to half the budget of the file's pages
// between two checks (a check can overshoot it by what the accesses since
// the last one mapped). The
// count is of every shared page the process maps: a memory-mapped
// database read meanwhile counts too, and makes trims come sooner.
//
// When no file can be created or grown (a read-only or full $TMPDIR, a
// file system without fallocate), allocations beyond the budget use
// ordinary memory in the same range and are never trimmed; when no range
// of addresses can be reserved (ulimit -v) or it is used up, they come
// from the ordinary heap. fallback_reason() says why. The work still
// succeeds; only its memory is not bounded.
//
// Errors: allocate() throws std::bad_alloc only when the ordinary heap,
// the last fallback, has no memory either.
// Thread-safety: allocation, touch() and trim() by one thread at a time;
// other threads may read and write allocated memory meanwhile (a trim
// loses nothing of it). The heap must outlive everything allocated from
// it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory_resource>
#include <string>

namespace kix {

class SpillHeap final : public std::pmr::memory_resource {
 public:
  // The file is created in `dir` (empty: $TMPDIR, else /tmp) when the
  // first allocation goes beyond `resident_budget` bytes.
  explicit SpillHeap(std::filesystem::path dir = {}, size_t resident_budget = 4u << 20);
  ~SpillHeap() override;
  SpillHeap(const SpillHeap&) = delete;
  SpillHeap& operator=(const SpillHeap&) = delete;

  // Counts `pages` accesses of about a page each (a record, a hash, a
  // short string): see above.
  void touch(size_t pages = 1) noexcept {
    touched_ += pages;
    if (touched_ >= touch_limit_) touched_limit_reached();
  }
  // Drops every mapped page of the file from the process now.
  void trim() noexcept;

  // Bytes in use in the range (allocated and not freed).
  size_t in_use() const { return in_use_; }
  // Bytes of the range taken so far (in use, and freed but not reused).
  size_t extent() const { return top_; }
  size_t trims() const { return trims_; }
  size_t budget() const { return budget_; }
  // Where the file is (to be) made; empty: $TMPDIR, else /tmp.
  const std::filesystem::path& directory() const { return dir_; }
  // Empty while allocations go to the file; else why they stopped.
  const std::string& fallback_reason() const { return fallback_reason_; }

 private:
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  void touched_limit_reached() noexcept;
  size_t resident_shared_pages() noexcept;  // SIZE_MAX when unknown
  // Makes [0, end) of the range usable: file-backed while it can be.
  // False when it cannot be (the caller then uses the ordinary heap).
  bool grow_to(size_t end);
  bool map_anonymous(size_t from, size_t to);
  bool map_file(size_t from, size_t to);  // false: map it otherwise
  void fall_back(std::string why);

  std::filesystem::path dir_;
  size_t budget_;
  char* base_ = nullptr;  // the reserved range; nullptr: none could be
  size_t range_ = 0;      // usable: less than reserved_ after a failed mapping
  size_t reserved_ = 0;
  size_t mapped_ = 0;             // [0, mapped_) is readable and writable
  size_t anonymous_prefix_;       // [0, anonymous_prefix_) is ordinary memory
  size_t file_begin_ = SIZE_MAX;  // [file_begin_, file_end_) is backed by the file
  size_t file_end_ = SIZE_MAX;
  size_t top_ = 0;  // the next allocation starts at or after it
  size_t in_use_ = 0;
  int fd_ = -1;
  bool file_usable_ = true;        // false once the file could not be made or grown
  size_t touched_ = 0;             // since the last check
  size_t since_trim_ = 0;          // touches counted since the last trim
  size_t touch_limit_ = SIZE_MAX;  // no trims while the heap fits the budget
  size_t trims_ = 0;
  int statm_fd_ = -2;       // /proc/self/statm; -2 until opened
  size_t base_shared_ = 0;  // shared resident pages after the last trim
  std::string fallback_reason_;
};

// Resizes `list` (a std::pmr::vector, in `memory` or not) to `size`
// elements, those added value-initialised a page or so at a time, telling
// `memory` (when not null) of each page written: a large list is then
// trimmed as it is written instead of being mapped whole first.
template <class List>
void resize_by_pages(List& list, size_t size, SpillHeap* memory) {
  if (memory == nullptr || size <= list.size()) {
    list.resize(size);
    return;
  }
  list.reserve(size);
  const size_t step = std::max<size_t>(1, 4096 / sizeof(typename List::value_type));
  while (list.size() < size) {
    list.resize(std::min(size, list.size() + step));
    memory->touch();
  }
}

}  // namespace kix
