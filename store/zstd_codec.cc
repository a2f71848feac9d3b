#include "store/zstd_codec.h"

#include <zstd.h>

#include "store/error.h"

namespace kix {

struct ZstdCodec::Contexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~Contexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdCodec::ZstdCodec(int level) : contexts_(std::make_unique<Contexts>()), level_(level) {
  if (contexts_->c == nullptr || contexts_->d == nullptr) {
    throw Error(ErrorKind::kIo, "out of memory creating a zstd context");
  }
}

ZstdCodec::~ZstdCodec() = default;
ZstdCodec::ZstdCodec(ZstdCodec&&) noexcept = default;
ZstdCodec& ZstdCodec::operator=(ZstdCodec&&) noexcept = default;

std::string ZstdCodec::compress(std::string_view raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n =
      ZSTD_compressCCtx(contexts_->c, out.data(), out.size(), raw.data(), raw.size(), level_);
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kInternal,
                std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  }
  out.resize(n);
  return out;
}

std::string ZstdCodec::decompress(std::string_view frame, size_t raw_size, std::string_view what) {
  auto corrupt = [&](const std::string& why) {
    return Error(ErrorKind::kCorruption, "blob " + std::string(what) + " is corrupt: " + why, {},
                 "run `kix store verify` to see what it affects; `kix store verify --repair "
                 "--from PATH` restores it from the original manifests");
  };
  if (raw_size > kMaxRawSize)
    throw corrupt("its recorded size " + std::to_string(raw_size) + " exceeds the limit");
  unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) throw corrupt("not a zstd frame");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    throw corrupt("the frame declares " + std::to_string(declared) + " bytes, the index " +
                  std::to_string(raw_size));
  }
  std::string out(raw_size, '\0');
  size_t n = ZSTD_decompressDCtx(contexts_->d, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) throw corrupt(ZSTD_getErrorName(n));
  if (n != raw_size)
    throw corrupt("it expands to " + std::to_string(n) + " bytes, not " + std::to_string(raw_size));
  return out;
}

}  // namespace kix
