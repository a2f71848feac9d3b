// What `kix store add` does before touching the store: parse, build
// manifests, infer references, hash the graph. Hashes must not depend on
// the order of the documents, a Secret's values never reach its canonical
// bytes, and reference facts survive the stat cache's encoding (and its
// decoder survives any bytes).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "manifest/reference_facts.h"
#include "manifest/secret_seal.h"
#include "manifest/secrets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    kix::ByteReader any(text);
    kix::ReferenceFacts facts;
    if (kix::decode_reference_facts(any, facts)) {
      std::string again;
      kix::ByteWriter w(again);
      kix::encode_reference_facts(facts, w);
      kix::fuzz::require(again.size() <= size, "decoded facts re-encode within their bytes");
    }
  }
  kix::Diagnostics diags;
  kix::ParseOptions options;
  options.limits.max_alias_expansion = 1 << 14;
  options.limits.max_nodes = 1 << 16;
  try {
    std::vector<kix::Manifest> manifests;
    kix::append_manifests(kix::parse_any(text, "fuzz.yaml", diags, options), manifests);
    kix::check_unique_identities(manifests);
    for (const auto& m : manifests) {
      kix::ReferenceFacts facts = kix::extract_reference_facts(m);
      std::string bytes;
      kix::ByteWriter w(bytes);
      kix::encode_reference_facts(facts, w);
      kix::ByteReader r(bytes);
      kix::ReferenceFacts decoded;
      kix::fuzz::require(kix::decode_reference_facts(r, decoded) && r.at_end() && decoded == facts,
                         "reference facts round-trip through their encoding");
    }
    static const kix::SecretKey key = kix::SecretKey::from_hex(std::string(64, '7'));
    kix::FixedKeyring keys(key);
    auto forward = kix::build_graph_inferred(manifests, &keys);
    std::reverse(manifests.begin(), manifests.end());
    auto backward = kix::build_graph_inferred(manifests, &keys);
    kix::fuzz::require(forward.root("c") == backward.root("c"), "root ignores input order");
    for (const auto& m : forward.manifests) {
      kix::fuzz::require(kix::Hash::of(m.canonical) == m.blob,
                         "blob is the hash of the canonical bytes");
      if (kix::is_secret(m.value) && kix::has_secret_values(m.value)) {
        kix::fuzz::require(m.sealed != nullptr && kix::is_hash_form(kix::Json::parse(m.canonical)),
                           "a Secret with values is hashed in its hash form and sealed");
      }
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
