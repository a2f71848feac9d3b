#include "store/zstd_codec.h"

#define ZDICT_STATIC_LINKING_ONLY  // the fastCover parameters
#include <zdict.h>
#include <zstd.h>
#include <algorithm>

#include <numeric>

#include "util/error.h"

namespace kix {

struct ZstdCodec::Contexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  // Compression writes here first, so that each result is allocated at its
  // own size: a string sized for the worst case and shrunk keeps its
  // capacity, and an add holds every new blob until it commits.
  std::string scratch;
  ~Contexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

struct ZstdDictionary::Digested {
  ZSTD_CDict* c = nullptr;  // created on first use: most commands only read
  ZSTD_DDict* d = nullptr;
  int level = 3;
  ~Digested() {
    ZSTD_freeCDict(c);
    ZSTD_freeDDict(d);
  }
};

ZstdDictionary::ZstdDictionary(std::string bytes, int level)
    : bytes_(std::move(bytes)), digested_(std::make_unique<Digested>()) {
  // A dictionary kix trained always carries zstd's magic number and an id;
  // raw content would be accepted by zstd but is never what kix stored.
  if (ZDICT_getDictID(bytes_.data(), bytes_.size()) == 0) {
    throw Error(ErrorKind::kCorruption, "a stored zstd dictionary is damaged", {},
                "run `kix store verify` to see which blobs it affects");
  }
  digested_->level = level;
  digested_->d = ZSTD_createDDict(bytes_.data(), bytes_.size());
  if (digested_->d == nullptr) {
    throw Error(ErrorKind::kCorruption, "a stored zstd dictionary cannot be loaded", {},
                "run `kix store verify` to see which blobs it affects");
  }
}

ZstdDictionary::~ZstdDictionary() = default;

std::optional<std::string> ZstdDictionary::train(const std::vector<std::string_view>& samples,
                                                 size_t capacity) {
  std::string joined;
  joined.reserve(std::accumulate(samples.begin(), samples.end(), size_t{0},
                                 [](size_t n, std::string_view s) { return n + s.size(); }));
  std::vector<size_t> sizes;
  sizes.reserve(samples.size());
  for (std::string_view s : samples) {
    joined.append(s);
    sizes.push_back(s.size());
  }
  return train(joined, sizes, capacity);
}

std::optional<std::string> ZstdDictionary::train(std::string_view joined,
                                                 const std::vector<size_t>& sizes,
                                                 size_t capacity) {
  std::string dict(capacity, '\0');
  // ZDICT_trainFromBuffer's own choices (fastCover, d = 8, four steps of
  // k, level 3), except a 2^18-entry frequency table instead of 2^20: the
  // tables it keeps per candidate were most of a large first add's peak
  // memory, and on manifests the dictionaries compress as well.
  ZDICT_fastCover_params_t params{};
  params.d = 8;
  params.steps = 4;
  params.f = 18;
  params.zParams.compressionLevel = 3;
  size_t n =
      ZDICT_optimizeTrainFromBuffer_fastCover(dict.data(), dict.size(), joined.data(), sizes.data(),
                                              static_cast<unsigned>(sizes.size()), &params);
  if (ZDICT_isError(n)) return std::nullopt;
  dict.resize(n);
  return dict;
}

ZstdCodec::ZstdCodec(int level) : contexts_(std::make_unique<Contexts>()), level_(level) {
  if (contexts_->c == nullptr || contexts_->d == nullptr) {
    throw Error(ErrorKind::kIo, "out of memory creating a zstd context");
  }
}

ZstdCodec::~ZstdCodec() = default;
ZstdCodec::ZstdCodec(ZstdCodec&&) noexcept = default;
ZstdCodec& ZstdCodec::operator=(ZstdCodec&&) noexcept = default;

std::string ZstdCodec::compress(std::string_view raw) {
  std::string& out = contexts_->scratch;
  out.resize(std::max(out.size(), ZSTD_compressBound(raw.size())));
  size_t n =
      ZSTD_compressCCtx(contexts_->c, out.data(), out.size(), raw.data(), raw.size(), level_);
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kInternal,
                std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  }
  return std::string(out.data(), n);
}

std::string ZstdCodec::compress(std::string_view raw, const ZstdDictionary& dictionary) {
  std::string& out = contexts_->scratch;
  out.resize(std::max(out.size(), ZSTD_compressBound(raw.size())));
  ZstdDictionary::Digested& digested = *dictionary.digested_;
  if (digested.c == nullptr) {
    digested.c =
        ZSTD_createCDict(dictionary.bytes_.data(), dictionary.bytes_.size(), digested.level);
    if (digested.c == nullptr) throw Error(ErrorKind::kIo, "out of memory digesting a dictionary");
  }
  size_t n = ZSTD_compress_usingCDict(contexts_->c, out.data(), out.size(), raw.data(), raw.size(),
                                      digested.c);
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kInternal,
                std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  }
  return std::string(out.data(), n);
}

std::string ZstdCodec::decompress(std::string_view frame, size_t raw_size, std::string_view what,
                                  const ZstdDictionary* dictionary) {
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
  size_t n =
      dictionary != nullptr
          ? ZSTD_decompress_usingDDict(contexts_->d, out.data(), out.size(), frame.data(),
                                       frame.size(), dictionary->digested_->d)
          : ZSTD_decompressDCtx(contexts_->d, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) throw corrupt(ZSTD_getErrorName(n));
  if (n != raw_size)
    throw corrupt("it expands to " + std::to_string(n) + " bytes, not " + std::to_string(raw_size));
  return out;
}

std::string ZstdCodec::decompress_bounded(std::string_view stream, size_t max_size,
                                          std::string_view what) {
  auto invalid = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidInput, std::string(what) + ": " + why, {},
                 "the file is damaged or not what kix wrote");
  };
  ZSTD_DCtx_reset(contexts_->d, ZSTD_reset_session_and_parameters);
  std::string out;
  ZSTD_inBuffer in{stream.data(), stream.size(), 0};
  size_t last = 1;
  while (in.pos < in.size) {
    if (out.size() >= max_size)
      throw invalid("expands beyond " + std::to_string(max_size) + " bytes");
    size_t before = out.size();
    out.resize(std::min(max_size, before + std::max<size_t>(ZSTD_DStreamOutSize(), before)));
    ZSTD_outBuffer o{out.data() + before, out.size() - before, 0};
    last = ZSTD_decompressStream(contexts_->d, &o, &in);
    out.resize(before + o.pos);
    if (ZSTD_isError(last))
      throw invalid(std::string("not a valid zstd stream: ") + ZSTD_getErrorName(last));
    if (o.pos == 0 && in.pos < in.size && out.size() >= max_size) {
      throw invalid("expands beyond " + std::to_string(max_size) + " bytes");
    }
  }
  // Output may still be buffered inside the context.
  while (last != 0) {
    if (out.size() >= max_size)
      throw invalid("expands beyond " + std::to_string(max_size) + " bytes");
    size_t before = out.size();
    out.resize(std::min(max_size, before + ZSTD_DStreamOutSize()));
    ZSTD_outBuffer o{out.data() + before, out.size() - before, 0};
    last = ZSTD_decompressStream(contexts_->d, &o, &in);
    out.resize(before + o.pos);
    if (ZSTD_isError(last))
      throw invalid(std::string("not a valid zstd stream: ") + ZSTD_getErrorName(last));
    if (o.pos == 0 && last != 0) throw invalid("the zstd stream is truncated");
  }
  return out;
}

}  // namespace kix
