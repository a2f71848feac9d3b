// `kix store pull` reads an index and packs from a registry before any
// store is touched: whatever their bytes, read_artifact either throws
// kix::Error or returns a closure whose every hash was recomputed from
// what it holds, and which a store that imports it finds sound.
//
// Input: the index, then each pack, each with its length before it; the harness
// writes the manifest that lists them (their digests are computed, so the
// registry's digest check always passes and the bytes themselves are what
// is tested).
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_invariants.h"
#include "manifest/merkle.h"
#include "store/memory_store.h"
#include "store/oci_artifact.h"
#include "store/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Each part: a 4-byte little-endian length, then that many bytes (fewer
  // at the end of the input).
  std::vector<std::string> parts;
  size_t at = 0;
  while (at + 4 <= size && parts.size() <= 64) {
    size_t n = size_t{data[at]} | size_t{data[at + 1]} << 8 | size_t{data[at + 2]} << 16 |
               size_t{data[at + 3]} << 24;
    at += 4;
    n = std::min(n, size - at);
    parts.emplace_back(reinterpret_cast<const char*>(data) + at, n);
    at += n;
  }
  if (parts.empty()) return 0;
  if (parts.size() > 64) return 0;
  auto digest = [](const std::string& bytes) { return "sha256:" + kix::Hash::of(bytes).hex(); };
  kix::Json layers = kix::Json::array();
  layers.push_back({{"mediaType", kix::kKixIndexType}, {"digest", digest(parts[0])},
                    {"size", parts[0].size()}});
  for (size_t i = 1; i < parts.size(); ++i) {
    layers.push_back({{"mediaType", kix::kKixPackType}, {"digest", digest(parts[i])},
                      {"size", parts[i].size()}});
  }
  kix::Json manifest{{"schemaVersion", 2},
                     {"mediaType", kix::kOciManifestType},
                     {"config", {{"mediaType", kix::kKixConfigType}, {"digest", digest("{}")},
                                 {"size", 2}}},
                     {"layers", layers}};
  kix::ArtifactLimits limits;
  limits.pack.max_expanded_bytes = 8u << 20;  // keep each run small
  limits.pack.max_entries = 4096;
  try {
    const std::string body = manifest.dump();
    kix::ArtifactManifest parsed =
        kix::parse_artifact_manifest(body, digest(body), "fuzz", limits);
    auto fetch = [&](const std::string& d, size_t max_bytes) {
      for (const std::string& p : parts) {
        if (digest(p) == d) {
          (void)max_bytes;  // the manifest's sizes are checked before any fetch
          return p;
        }
      }
      kix::fuzz::require(false, "only listed blobs are fetched");
      return std::string();
    };
    kix::Closure contents = kix::read_artifact(parsed, fetch, "fuzz", limits);
    for (const auto& [hash, canonical] : contents.blobs()) {
      kix::fuzz::require(kix::Hash::of(canonical) == hash, "blob hash matches its content");
    }
    for (const auto& root : contents.roots()) {
      kix::fuzz::require(kix::root_hash(root.cluster, root.nodes) == root.hash,
                         "root hash matches its nodes");
    }
    kix::MemoryStore store;
    store.import_closure(contents);
    kix::fuzz::require(store.verify({}).ok(), "a pulled closure verifies");
    for (const auto& h : contents.history().clusters) {
      kix::fuzz::require(store.generations(h.cluster).size() == h.generations.size(),
                         "the pulled history is the store's");
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
