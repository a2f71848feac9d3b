// `kix store import` reads archives in memory before the store is touched:
// whatever the bytes, it either throws kix::Error or returns contents whose
// every hash was recomputed from what it holds, and which a store that
// imports it finds sound.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"
#include "manifest/merkle.h"
#include "store/archive.h"
#include "store/memory_store.h"
#include "store/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kix::ArchiveLimits limits;
  limits.max_expanded_bytes = 8u << 20;  // keep each run small
  limits.max_entries = 4096;
  try {
    kix::Closure contents = kix::read_archive(bytes, limits);
    for (const auto& [hash, canonical] : contents.blobs()) {
      kix::fuzz::require(kix::Hash::of(canonical) == hash, "blob hash matches its content");
    }
    for (const auto& node : contents.nodes()) {
      kix::fuzz::require(contents.blobs().count(node.blob) == 1, "every node's blob is present");
    }
    for (const auto& root : contents.roots()) {
      kix::fuzz::require(kix::root_hash(root.cluster, root.nodes) == root.hash,
                         "root hash matches its nodes");
    }
    // What an archive passes is what a store keeps sound.
    kix::MemoryStore store;
    store.import_closure(contents);
    kix::fuzz::require(store.verify({}).ok(), "an imported closure verifies");
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
