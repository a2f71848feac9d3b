// Stable storage for many small byte strings that live and die together:
// copies go into large blocks, and the returned views stay valid until the
// arena is destroyed (blocks never move). Saves the per-string header and
// allocator overhead, which for short strings exceeds their bytes.
// Thread-safety: one object per thread.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

namespace kix {

class ByteArena {
 public:
  // A copy of `bytes` that lives as long as the arena.
  std::string_view copy(std::string_view bytes);
  size_t allocated() const { return allocated_; }

 private:
  static constexpr size_t kBlockBytes = 256u << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;  // one string each
  size_t used_ = kBlockBytes;                   // in the last block; full before the first
  size_t allocated_ = 0;
};

}  // namespace kix
