// canonical_manifest_identity must be sound on any bytes: whenever it gives
// an identity, parsing the bytes and making a manifest gives that identity
// and the very same canonical bytes (manifest/canonical_scan.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"
#include "manifest/canonical_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const auto scanned = kix::canonical_manifest_identity(bytes);
  if (!scanned) return 0;
  kix::Json value;
  try {
    value = kix::Json::parse(bytes);
  } catch (const kix::Json::exception&) {
    kix::fuzz::require(false, "the scan accepted bytes that are not JSON");
  }
  try {
    kix::Manifest m = kix::make_manifest(std::move(value), {});
    kix::fuzz::require(m.canonical == bytes, "the scan accepted bytes that are not canonical");
    kix::fuzz::require(m.id == *scanned, "the scan read another identity than the parser");
  } catch (const kix::Error&) {
    kix::fuzz::require(false, "the scan accepted something that is not a manifest");
  }
  return 0;
}
