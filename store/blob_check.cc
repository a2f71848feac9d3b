#include "store/blob_check.h"

#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "util/error.h"

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
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    ZstdCodec codec;  // one per thread: a codec is not thread-safe
    try {
      for (size_t i = next++; i < blobs.size(); i = next++) {
        const StoredBlob& b = blobs[i];
        BlobState& state = out[i];
        const ZstdDictionary* dict = nullptr;
        if (b.dictionary != 0) {
          const Resolved& r = dictionaries.at(b.dictionary);
          if (!r.error.empty()) {
            // As SqliteStore::decompress_blob words it.
            state.problem = "blob " + b.hash.hex() + " is corrupt: " + r.error;
            continue;
          }
          dict = r.dictionary;
        }
        try {
          std::string raw =
              codec.decompress(b.data, static_cast<size_t>(b.raw_size), b.hash.hex(), dict);
          state = check_blob_bytes(b.hash, raw);
        } catch (const Error& e) {
          state.problem = e.message();
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = blobs.size();  // the others stop at their next blob
    }
  };
  size_t wanted = std::max<size_t>(1, std::min<size_t>(threads, blobs.size() / kBlobsPerThread));
  std::vector<std::thread> workers;
  for (size_t t = 1; t < wanted; ++t) {
    try {
      workers.emplace_back(work);
    } catch (...) {
      break;  // no more threads to be had: the ones running share the work
    }
  }
  work();
  for (std::thread& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace kix
