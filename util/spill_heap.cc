#include "util/spill_heap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "util/spool_file.h"

namespace kix {

namespace {

// Addresses reserved, not memory; smaller ranges are tried where a limit
// on address space (ulimit -v) refuses this one.
constexpr size_t kRanges[] = {size_t{64} << 30, size_t{8} << 30, size_t{1} << 30};
constexpr size_t kGrowth = size_t{1} << 20;  // the file grows by at least this
const size_t kPage = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
constexpr size_t kTouchesPerCheck = 4096;
constexpr size_t kMinTouchesPerCheck = 32;
// Freed blocks smaller than this keep their pages: a hole is a system call.
constexpr size_t kPunchAtLeast = size_t{64} << 10;

size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

SpillHeap::SpillHeap(std::filesystem::path dir, size_t resident_budget)
    : dir_(std::move(dir)),
      budget_(resident_budget),
      anonymous_prefix_(round_up(resident_budget, kGrowth)) {
  for (size_t range : kRanges) {
    void* p = ::mmap(nullptr, range, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      base_ = static_cast<char*>(p);
      range_ = reserved_ = range;
      return;
    }
  }
  fall_back("cannot reserve addresses: " + std::string(std::strerror(errno)));
}

SpillHeap::~SpillHeap() {
  if (base_ != nullptr) ::munmap(base_, reserved_);
  if (fd_ >= 0) ::close(fd_);
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

void SpillHeap::fall_back(std::string why) {
  if (fallback_reason_.empty()) fallback_reason_ = std::move(why);
}

bool SpillHeap::map_anonymous(size_t from, size_t to) {
  // The reservation is anonymous memory already: made writable in place,
  // which unmaps nothing when it fails.
  if (::mprotect(base_ + from, to - from, PROT_READ | PROT_WRITE) != 0) {
    fall_back("cannot make memory writable: " + std::string(std::strerror(errno)));
    return false;
  }
  return true;
}

bool SpillHeap::map_file(size_t from, size_t to) {
  if (!file_usable_) return false;
  if (fd_ < 0) {
    const std::filesystem::path where = dir_.empty() ? SpoolFile::default_directory() : dir_;
    std::string pattern = (where / "kix-heap-XXXXXX").string();
    fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ < 0) {
      fall_back("cannot create a temporary file in " + where.string() + ": " +
                std::strerror(errno));
      file_usable_ = false;
      return false;
    }
    ::unlink(pattern.c_str());  // lives exactly as long as the descriptor
    file_begin_ = file_end_ = from;
  }
  if (from != file_end_) {  // memory was mapped after the file: it stays there
    file_usable_ = false;
    return false;
  }
  const off_t offset = static_cast<off_t>(from - file_begin_);
  // Blocks reserved before any page is written: a write to a mapped page
  // the file system has no room for would be a SIGBUS.
  if (::fallocate(fd_, 0, offset, static_cast<off_t>(to - from)) != 0) {
    fall_back("cannot grow a temporary file: " + std::string(std::strerror(errno)));
    file_usable_ = false;
    return false;
  }
  if (::mmap(base_ + from, to - from, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_,
             offset) == MAP_FAILED) {
    fall_back("cannot map a temporary file: " + std::string(std::strerror(errno)));
    file_usable_ = false;
    // A failed MAP_FIXED may have unmapped the reservation there (older
    // kernels): nothing from here on is used, so another mapping that
    // took those addresses is never touched.
    range_ = from;
    return false;
  }
  file_end_ = to;
  return true;
}

bool SpillHeap::grow_to(size_t end) {
  if (end <= mapped_) return true;
  const size_t new_end = std::min(range_, round_up(std::max(end, mapped_ + kGrowth), kGrowth));
  if (end > new_end) return false;
  size_t at = mapped_;
  // The budget's worth first is ordinary memory: a small working set
  // never creates a file, and never pays for trims.
  if (at < anonymous_prefix_) {
    const size_t to = std::min(new_end, anonymous_prefix_);
    if (!map_anonymous(at, to)) return false;
    mapped_ = at = to;
  }
  if (at < new_end) {
    if (!map_file(at, new_end)) {
      if (new_end > range_ || !map_anonymous(at, new_end)) return false;
    }
    mapped_ = new_end;
  }
  return end <= mapped_;
}

void* SpillHeap::do_allocate(size_t bytes, size_t alignment) {
  const size_t begin = round_up(top_, alignment);
  const size_t end = begin + std::max<size_t>(bytes, 1);
  if (base_ == nullptr || end > range_ || end < begin || !grow_to(end)) {
    // No range, all of it taken, or no memory to be had in it: the
    // ordinary heap, which throws std::bad_alloc when it has none either.
    if (base_ != nullptr) fall_back("used up the addresses reserved for working memory");
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  top_ = end;
  in_use_ += bytes;
  if (file_end_ > file_begin_ && touch_limit_ == SIZE_MAX) {
    // How many of the heap's pages are mapped is measured every so many
    // accesses: the kernel maps a page's neighbours on a read too
    // (fault-around), and sequential accesses share pages, so a count of
    // accesses says little about pages.
    touched_ = since_trim_ = 0;
    touch_limit_ = kMinTouchesPerCheck;
    base_shared_ = resident_shared_pages();
    if (base_shared_ == SIZE_MAX) base_shared_ = 0;
  }
  return base_ + begin;
}

void SpillHeap::do_deallocate(void* p, size_t bytes, size_t alignment) {
  char* at = static_cast<char*>(p);
  if (base_ == nullptr || at < base_ || at >= base_ + range_) {
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
    return;
  }
  const size_t begin = static_cast<size_t>(at - base_);
  const size_t end = begin + std::max<size_t>(bytes, 1);
  in_use_ -= bytes;
  if (end == top_) {
    // The last block (a vector growing in place of its old copy): taken
    // again by the next allocation, so its pages stay.
    top_ = begin;
    return;
  }
  const size_t first_page = round_up(begin, kPage);
  const size_t last_page = end / kPage * kPage;
  if (last_page <= first_page || last_page - first_page < kPunchAtLeast) return;
  // Never allocated again (only the top is): its pages go back to the
  // file system, or to the kernel where the range is anonymous.
  const size_t file_from = std::max(first_page, file_begin_);
  const size_t file_to = std::min(last_page, file_end_);
  if (file_from < file_to) {
    ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(file_from - file_begin_),
                static_cast<off_t>(file_to - file_from));
  }
  if (first_page < std::min(last_page, file_begin_)) {
    ::madvise(base_ + first_page, std::min(last_page, file_begin_) - first_page, MADV_DONTNEED);
  }
  if (std::max(first_page, file_end_) < last_page) {
    ::madvise(base_ + std::max(first_page, file_end_), last_page - std::max(first_page, file_end_),
              MADV_DONTNEED);
  }
}

void SpillHeap::trim() noexcept {
  touched_ = 0;
  since_trim_ = 0;
  if (file_end_ == file_begin_) return;
  // Contents stay in the file: a shared file mapping's pages are the
  // file's own, so dropping them from the process loses nothing.
  ::madvise(base_ + file_begin_, file_end_ - file_begin_, MADV_DONTNEED);
  ++trims_;
}

size_t SpillHeap::resident_shared_pages() noexcept {
  // statm's third field: resident pages of the process that are shared
  // (file-backed or shmem), ours and the binary's and libraries'.
  if (statm_fd_ == -2) statm_fd_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (statm_fd_ < 0) return SIZE_MAX;
  char text[128];
  const ssize_t n = ::pread(statm_fd_, text, sizeof text - 1, 0);
  if (n <= 0) return SIZE_MAX;
  text[n] = '\0';
  unsigned long size = 0, resident = 0, shared = 0;
  if (std::sscanf(text, "%lu %lu %lu", &size, &resident, &shared) != 3) return SIZE_MAX;
  return shared;
}

void SpillHeap::touched_limit_reached() noexcept {
  since_trim_ += touched_;
  touched_ = 0;
  const size_t shared = resident_shared_pages();
  if (shared == SIZE_MAX) {
    // Without /proc: a trim every so many accesses, as if each mapped a
    // page and its neighbours.
    trim();
    touch_limit_ = std::max<size_t>(kMinTouchesPerCheck, budget_ / kPage / 16);
    return;
  }
  if (shared < base_shared_) {
    // Fewer than after the last trim (holes punched, pages reclaimed):
    // the count starts again from here.
    base_shared_ = shared;
    since_trim_ = 0;
    touch_limit_ = kMinTouchesPerCheck;
    return;
  }
  // The file's pages may take what the budget leaves beside the ordinary
  // part in use, and at least half of it, so that reading spilled
  // data back does not fault on every access.
  const size_t allowance =
      std::max(budget_ / 2, budget_ - std::min(budget_, std::min(top_, anonymous_prefix_)));
  if ((shared - base_shared_) * kPage <= allowance) {
    // The next check comes when, at the rate seen since the last trim,
    // half of what is left of the budget would be mapped: random reads
    // map a page's neighbours too (16 pages a fault), sequential ones
    // share pages, so only a measured rate says how many accesses fit.
    const size_t grown = (shared - base_shared_) * kPage;
    const size_t per_touch = std::max<size_t>(1, grown / std::max<size_t>(1, since_trim_));
    // At most a quarter of the allowance's pages in touches, however slow
    // the rate was: a phase that maps more per access (reads far apart,
    // a page and its neighbours each) can follow one that mapped little,
    // and mapped 21 MB before the check after 4,096 touches.
    const size_t most =
        std::clamp<size_t>(allowance / kPage / 4, kMinTouchesPerCheck, kTouchesPerCheck);
    touch_limit_ =
        std::clamp<size_t>((allowance - grown) / per_touch / 2, kMinTouchesPerCheck, most);
    return;
  }
  trim();
  base_shared_ = resident_shared_pages();
  if (base_shared_ == SIZE_MAX) base_shared_ = 0;
  since_trim_ = 0;
  touch_limit_ = kMinTouchesPerCheck;
}
}  // namespace kix
