// Verify's check of stored blobs, on every core: decompress each with the
// dictionary it names and check its bytes (check_blob_bytes in
// store/verify.h). Decompressing and parsing dominate `kix store verify`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/verify.h"
#include "store/zstd_codec.h"
#include "util/hash.h"

namespace kix {

// One row of the blobs table, as read.
struct StoredBlob {
  Hash hash;
  uint64_t raw_size = 0;
  std::string data;        // zstd frame
  int64_t dictionary = 0;  // dictionaries.id, 0: none
};

// The dictionary with id `id` (not 0), or kix::Error when it is missing or
// damaged. Called on the calling thread only, before any worker starts.
using DictionaryLookup = std::function<const ZstdDictionary*(int64_t id)>;

// The state of each blob, in order, as the serial check would give it (the
// same problems, word for word). Blobs are checked without Secret envelopes:
// the caller checks a Secret's blob itself (its key may load lazily). Uses
// up to `threads` threads (at least the calling one); exceptions other than
// kix::Error from a worker are rethrown here.
std::vector<BlobState> check_stored_blobs(const std::vector<StoredBlob>& blobs,
                                          const DictionaryLookup& dictionary, unsigned threads);

}  // namespace kix
