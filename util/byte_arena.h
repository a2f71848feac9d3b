// Stable storage for many small byte strings that live and die together:
// copies go into large blocks, and the returned views stay valid until the
// arena is destroyed (blocks never move). Saves the per-string header and
// allocator overhead, which for short strings exceeds their bytes.
// The blocks come from a memory resource (new and delete unless one is
// given, e.g. a util/spill_heap.h), which must outlive the arena.
// Thread-safety: one object per thread.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <string_view>
#include <utility>
#include <vector>

namespace kix {

class ByteArena {
 public:
  explicit ByteArena(std::pmr::memory_resource* memory = std::pmr::new_delete_resource())
      : memory_(memory) {}
  ~ByteArena() { release(); }
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;
  ByteArena(ByteArena&& other) noexcept { *this = std::move(other); }
  ByteArena& operator=(ByteArena&& other) noexcept;

  // A copy of `bytes` that lives as long as the arena.
  std::string_view copy(std::string_view bytes);
  size_t allocated() const { return allocated_; }

 private:
  struct Block {
    char* data;
    size_t size;
  };
  static constexpr size_t kBlockBytes = 256u << 10;
  void release() noexcept;
  char* allocate(size_t size);

  std::pmr::memory_resource* memory_ = std::pmr::new_delete_resource();
  std::vector<Block> blocks_;  // full-size blocks, then strings too large for one, in any order
  char* current_ = nullptr;    // the block copies go into
  size_t used_ = kBlockBytes;  // in current_; full before the first
  size_t allocated_ = 0;
};

}  // namespace kix
