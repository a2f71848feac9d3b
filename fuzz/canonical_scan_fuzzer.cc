// canonical_manifest_identity and parse_canonical_json must be sound on any
// bytes (manifest/canonical_scan.h): whenever the scan gives an identity,
// parsing the bytes and making a manifest gives that identity and the very
// same canonical bytes; whenever the parse gives a value, nlohmann's parser
// gives the same value, number types included.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"
#include "manifest/canonical_scan.h"
#include "tests/unit/json_test_support.h"

namespace {

void check_parse(const std::string& bytes) {
  const auto value = kix::parse_canonical_json(bytes);
  if (!value) return;
  kix::Json parsed;
  try {
    parsed = kix::Json::parse(bytes);
  } catch (const kix::Json::exception&) {
    kix::fuzz::require(false, "the parse accepted bytes that are not JSON");
  }
  kix::fuzz::require(kix::testing::same_json(*value, parsed),
                     "the parse read another value than the parser");
}

void check_scan(const std::string& bytes) {
  const auto scanned = kix::canonical_manifest_identity(bytes);
  if (!scanned) return;
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
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check_scan(bytes);
  check_parse(bytes);
  return 0;
}
