// zstd compression of blobs, with a reusable context per codec.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kix {

// Not thread-safe: use one codec per thread.
class ZstdCodec {
 public:
  // Largest blob kix will decompress; a stored size above it is corruption,
  // not an invitation to allocate (a decompression bomb).
  static constexpr size_t kMaxRawSize = 64u << 20;

  explicit ZstdCodec(int level = 3);
  ~ZstdCodec();
  ZstdCodec(const ZstdCodec&) = delete;
  ZstdCodec& operator=(const ZstdCodec&) = delete;
  ZstdCodec(ZstdCodec&&) noexcept;
  ZstdCodec& operator=(ZstdCodec&&) noexcept;

  std::string compress(std::string_view raw);
  // Decompresses a frame that must expand to exactly `raw_size` bytes.
  // Throws kix::Error(kCorruption) otherwise; `what` names the object.
  std::string decompress(std::string_view frame, size_t raw_size, std::string_view what);
  // Decompresses a stream of unknown size; more than `max_size` bytes of
  // output is kInvalidInput (a decompression bomb), a broken stream too.
  std::string decompress_bounded(std::string_view stream, size_t max_size, std::string_view what);

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
  int level_;
};

}  // namespace kix
