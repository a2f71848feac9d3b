// JSON -> canonical JSON: the same contract as the YAML harness, and the
// reader agrees with nlohmann's own validator on what is valid JSON.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kix::Diagnostics diags;
  kix::ParseOptions options;
  options.record_locations = size % 2 == 0;
  bool accepted = false;
  try {
    auto docs = kix::parse_json(text, "fuzz.json", diags, options);
    accepted = true;
    for (const auto& d : docs) {
      (void)kix::canonical_json(d.value);
      kix::fuzz::check_canonical_round_trip(d.value);
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  if (accepted) kix::fuzz::require(kix::Json::accept(text), "accepted input is valid JSON");
  return 0;
}
