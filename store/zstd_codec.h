// zstd compression of blobs, with a reusable context per codec.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kix {

// A trained zstd dictionary, digested once for decompressing and, on first
// use, for compressing (at the level given). Blobs compressed with it can
// only be decompressed with the same bytes. Not thread-safe.
class ZstdDictionary {
 public:
  // Throws kix::Error(kCorruption) when `bytes` is not a zstd dictionary.
  explicit ZstdDictionary(std::string bytes, int level = 3);
  ~ZstdDictionary();
  ZstdDictionary(const ZstdDictionary&) = delete;
  ZstdDictionary& operator=(const ZstdDictionary&) = delete;

  const std::string& bytes() const { return bytes_; }

  // Trains a dictionary of at most `capacity` bytes on `samples`; nullopt
  // when zstd finds too little material (too few or too small samples).
  static std::optional<std::string> train(const std::vector<std::string_view>& samples,
                                          size_t capacity);
  // The same with the samples already concatenated, `sizes` giving each
  // one's length in order (no second copy of a large sample).
  static std::optional<std::string> train(std::string_view joined, const std::vector<size_t>& sizes,
                                          size_t capacity);

 private:
  friend class ZstdCodec;
  struct Digested;
  std::string bytes_;
  std::unique_ptr<Digested> digested_;
};

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
  std::string compress(std::string_view raw, const ZstdDictionary& dictionary);
  // Decompresses a frame that must expand to exactly `raw_size` bytes, with
  // the dictionary it was compressed with (nullptr: none). Throws
  // kix::Error(kCorruption) otherwise; `what` names the object.
  std::string decompress(std::string_view frame, size_t raw_size, std::string_view what,
                         const ZstdDictionary* dictionary = nullptr);
  // Decompresses a stream of unknown size; more than `max_size` bytes of
  // output is kInvalidInput (a decompression bomb), a broken stream too.
  std::string decompress_bounded(std::string_view stream, size_t max_size, std::string_view what);

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
  int level_;
};

}  // namespace kix
