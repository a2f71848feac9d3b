#include "store/blob_check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "util/error.h"

namespace kix {
namespace {

// Canonical bytes and blob hash of a ConfigMap.
Manifest config_map(int i) {
  return make_manifest(Json{{"apiVersion", "v1"},
                            {"kind", "ConfigMap"},
                            {"metadata", {{"name", "cm-" + std::to_string(i)}}},
                            {"data", {{"k", std::string(static_cast<size_t>(i % 50), 'x')}}}},
                       {});
}

struct Blobs {
  std::vector<StoredBlob> rows;
  std::vector<std::string> expected_problem;  // "" for a good blob
};

// Good blobs, with damage spread over the list: a frame that does not
// decompress, bytes that hash to something else, a dictionary that is
// missing.
Blobs make_blobs(size_t n) {
  Blobs b;
  ZstdCodec codec;
  for (size_t i = 0; i < n; ++i) {
    Manifest m = config_map(static_cast<int>(i));
    StoredBlob row{m.blob, m.canonical.size(), codec.compress(m.canonical), 0};
    std::string problem;
    if (i % 97 == 5) {
      row.data[row.data.size() / 2] ^= 0x5a;
      problem = "?";  // the codec's own words
    } else if (i % 89 == 7) {
      Manifest other = config_map(static_cast<int>(i) + 100000);
      row.raw_size = other.canonical.size();
      row.data = codec.compress(other.canonical);
      problem = "its content hashes to " + other.blob.hex();
    } else if (i % 83 == 11) {
      row.dictionary = 7;
      problem = "blob " + m.blob.hex() + " is corrupt: dictionary 7 is missing";
    }
    b.rows.push_back(std::move(row));
    b.expected_problem.push_back(problem);
  }
  return b;
}

const DictionaryLookup kNoDictionaries = [](int64_t id) -> const ZstdDictionary* {
  throw Error(ErrorKind::kCorruption, "dictionary " + std::to_string(id) + " is missing");
};

TEST(BlobCheck, EveryThreadCountGivesTheSerialAnswer) {
  Blobs b = make_blobs(1000);
  std::vector<BlobState> serial = check_stored_blobs(b.rows, kNoDictionaries, 1);
  ASSERT_EQ(serial.size(), b.rows.size());
  size_t bad = 0;
  for (size_t i = 0; i < serial.size(); ++i) {
    const std::string& want = b.expected_problem[i];
    if (want.empty()) {
      EXPECT_TRUE(serial[i].ok) << i << ": " << serial[i].problem;
      EXPECT_EQ(serial[i].identity.name, "cm-" + std::to_string(i));
    } else {
      ++bad;
      EXPECT_FALSE(serial[i].ok) << i;
      if (want != "?") {
        EXPECT_EQ(serial[i].problem, want) << i;
      }
      EXPECT_FALSE(serial[i].problem.empty()) << i;
    }
  }
  EXPECT_GT(bad, 20u);
  for (unsigned threads : {2u, 4u, 8u}) {
    std::vector<BlobState> parallel = check_stored_blobs(b.rows, kNoDictionaries, threads);
    ASSERT_EQ(parallel.size(), serial.size());
    for (size_t i = 0; i < serial.size(); ++i) {
      EXPECT_EQ(parallel[i].ok, serial[i].ok) << threads << " " << i;
      EXPECT_EQ(parallel[i].problem, serial[i].problem) << threads << " " << i;
      EXPECT_EQ(parallel[i].identity, serial[i].identity) << threads << " " << i;
    }
  }
}

TEST(BlobCheck, ADictionaryIsLookedUpOncePerIdOnTheCallingThread) {
  Blobs b = make_blobs(300);
  size_t lookups = 0;
  DictionaryLookup counting = [&](int64_t id) -> const ZstdDictionary* {
    ++lookups;  // unsynchronized on purpose: ThreadSanitizer names a worker call
    return kNoDictionaries(id);
  };
  check_stored_blobs(b.rows, counting, 4);
  EXPECT_EQ(lookups, 1u);
}

TEST(BlobCheck, AnEmptyListIsNoWork) {
  EXPECT_TRUE(check_stored_blobs({}, kNoDictionaries, 4).empty());
}

}  // namespace
}  // namespace kix
