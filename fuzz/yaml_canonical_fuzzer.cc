// YAML -> canonical JSON: never crash or hang, reject with kix::Error only,
// every string read is UTF-8, and every accepted document canonicalizes to
// a fixed point.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kix::Diagnostics diags;
  kix::ParseOptions options;
  options.limits.max_alias_expansion = 1 << 14;  // keep each run fast
  options.limits.max_nodes = 1 << 16;
  options.record_locations = size % 2 == 0;  // exercise both paths
  try {
    auto docs = kix::parse_yaml(text, "fuzz.yaml", diags, options);
    for (const auto& d : docs) {
      kix::fuzz::check_strings_are_utf8(d.value);
      // Readers reject what canonical JSON cannot hold.
      std::string canon = kix::canonical_json(d.value);
      kix::fuzz::check_canonical_round_trip(d.value);
      (void)canon;
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
