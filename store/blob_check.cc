#include "store/blob_check.h"

#include <algorithm>
#include <map>
#include <memory>

#include "util/error.h"
#include "util/parallel_for.h"

namespace kix {

namespace {

// A dictionary id resolved before the workers start: the dictionary, or
// why it cannot be used.
struct Resolved {
  const ZstdDictionary* dictionary = nullptr;
  std::string error;
};

// Below this many blobs per thread, a thread costs more than it saves.
constexpr size_t kBlobsPerThread = 64;

}  // namespace

std::vector<BlobState> check_stored_blobs(const std::vector<StoredBlob>& blobs,
                                          const DictionaryLookup& dictionary, unsigned threads) {
  std::map<int64_t, Resolved> dictionaries;
  for (const StoredBlob& b : blobs) {
    if (b.dictionary == 0 || dictionaries.count(b.dictionary)) continue;
    Resolved r;
    try {
      r.dictionary = dictionary(b.dictionary);
    } catch (const Error& e) {
      r.error = e.message();
    }
    dictionaries.emplace(b.dictionary, std::move(r));
  }

  std::vector<BlobState> out(blobs.size());
  const size_t wanted =
      std::max<size_t>(1, std::min<size_t>(threads, blobs.size() / kBlobsPerThread));
  // A codec per worker: a codec is not thread-safe. Exceptions other than
  // kix::Error (a blob's problem) stop the check.
  parallel_for_workers(blobs.size(), static_cast<unsigned>(wanted), [&] {
    return [&, codec = std::make_shared<ZstdCodec>()](size_t i) {
      const StoredBlob& b = blobs[i];
      BlobState& state = out[i];
      const ZstdDictionary* dict = nullptr;
      if (b.dictionary != 0) {
        const Resolved& r = dictionaries.at(b.dictionary);
        if (!r.error.empty()) {
          // As SqliteStore::decompress_blob words it.
          state.problem = "blob " + b.hash.hex() + " is corrupt: " + r.error;
          return;
        }
        dict = r.dictionary;
      }
      try {
        std::string raw =
            codec->decompress(b.data, static_cast<size_t>(b.raw_size), b.hash.hex(), dict);
        state = check_blob_bytes(b.hash, raw);
      } catch (const Error& e) {
        state.problem = e.message();
      }
    };
  });
  return out;
}

}  // namespace kix
