#include "util/byte_arena.h"

#include <cstring>

namespace kix {

ByteArena& ByteArena::operator=(ByteArena&& other) noexcept {
  if (this == &other) return *this;
  release();
  memory_ = other.memory_;
  blocks_ = std::exchange(other.blocks_, {});
  current_ = std::exchange(other.current_, nullptr);
  used_ = std::exchange(other.used_, kBlockBytes);
  allocated_ = std::exchange(other.allocated_, 0);
  return *this;
}

void ByteArena::release() noexcept {
  for (const Block& b : blocks_) memory_->deallocate(b.data, b.size, 1);
  blocks_.clear();
  current_ = nullptr;
  used_ = kBlockBytes;
  allocated_ = 0;
}

char* ByteArena::allocate(size_t size) {
  // Room first, so that a block allocated is never lost.
  if (blocks_.size() == blocks_.capacity()) blocks_.reserve(2 * blocks_.size() + 8);
  char* data = static_cast<char*>(memory_->allocate(size, 1));
  blocks_.push_back(Block{data, size});
  allocated_ += size;
  return data;
}

std::string_view ByteArena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (bytes.size() > kBlockBytes / 4) {
    // A large string gets a block of its own, so blocks stay mostly full.
    char* block = allocate(bytes.size());
    std::memcpy(block, bytes.data(), bytes.size());
    return {block, bytes.size()};
  }
  if (used_ + bytes.size() > kBlockBytes) {
    current_ = allocate(kBlockBytes);
    used_ = 0;
  }
  char* at = current_ + used_;
  std::memcpy(at, bytes.data(), bytes.size());
  used_ += bytes.size();
  return {at, bytes.size()};
}

}  // namespace kix
