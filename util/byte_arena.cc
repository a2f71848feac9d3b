#include "util/byte_arena.h"

#include <cstring>

namespace kix {

std::string_view ByteArena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (bytes.size() > kBlockBytes / 4) {
    // A large string gets a block of its own, so blocks stay mostly full.
    auto& block = large_.emplace_back(std::make_unique<char[]>(bytes.size()));
    std::memcpy(block.get(), bytes.data(), bytes.size());
    allocated_ += bytes.size();
    return {block.get(), bytes.size()};
  }
  if (used_ + bytes.size() > kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    used_ = 0;
    allocated_ += kBlockBytes;
  }
  char* at = blocks_.back().get() + used_;
  std::memcpy(at, bytes.data(), bytes.size());
  used_ += bytes.size();
  return {at, bytes.size()};
}

}  // namespace kix
