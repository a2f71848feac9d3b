// canonical_manifest_identity (manifest/canonical_scan.h) must be sound:
// whenever it gives an identity, parsing the bytes, making a manifest and
// writing its canonical JSON gives the same bytes and the same identity.
// parse_canonical_json must be too: whenever it gives a value, nlohmann's
// parser gives the same value with the same number types.
// (That both answer for ordinary manifests is tests/unit/canonical_scan_test.cc.)
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/canonical_scan.h"
#include "manifest/manifest.h"
#include "tests/unit/json_test_support.h"

namespace kix {
namespace {

// What verify concludes by parsing: the identity when the bytes are a
// manifest's canonical JSON, else nullopt.
std::optional<ResourceId> by_parsing(const std::string& bytes) {
  try {
    Manifest m = make_manifest(Json::parse(bytes), {});
    if (m.canonical != bytes) return std::nullopt;
    return m.id;
  } catch (...) {
    return std::nullopt;
  }
}

rc::Gen<std::string> gen_text() {
  return rc::gen::oneOf(rc::gen::elementOf(std::vector<std::string>{
                            "", "a", "x-1", "é", "日本", "😀", "a\"b", "back\\slash", "line\nbreak",
                            "\t", "\x01", "\x7f", "zz", "apiVersion", "kind", "name"}),
                        rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f)));
}

rc::Gen<Json> gen_value(int depth) {
  // Mostly what manifests hold; now and then what the scan leaves to the
  // parser (floats), so that both ways are taken.
  auto scalar = rc::gen::weightedOneOf<Json>(
      {{2, rc::gen::construct<Json>(rc::gen::arbitrary<bool>())},
       {3,
        rc::gen::construct<Json>(rc::gen::inRange<int64_t>(-kMaxExactInteger, kMaxExactInteger))},
       {1, rc::gen::construct<Json>(rc::gen::elementOf(
               std::vector<int64_t>{0, -1, 1, kMaxExactInteger, -kMaxExactInteger}))},
       {1, rc::gen::construct<Json>(rc::gen::elementOf(std::vector<double>{
               0.5, -2.25, 1e21, 0.1, 1e-7, 123.456, 5e-324, 1.7976931348623157e308}))},
       {8, rc::gen::construct<Json>(gen_text())},
       {1, rc::gen::just(Json(nullptr))}});
  if (depth <= 0) return scalar;
  return rc::gen::oneOf(
      scalar,
      rc::gen::map(rc::gen::container<std::vector<Json>>(
                       rc::gen::lazy([depth] { return gen_value(depth - 1); })),
                   [](std::vector<Json> items) { return Json(std::move(items)); }),
      rc::gen::map(rc::gen::container<std::map<std::string, Json>>(
                       gen_text(), rc::gen::lazy([depth] { return gen_value(depth - 1); })),
                   [](std::map<std::string, Json> members) { return Json(std::move(members)); }));
}

// Mostly valid identities; sometimes one the scan must not vouch for.
template <typename T>
T mostly(T usual, std::vector<T> others) {
  return *rc::gen::weightedOneOf<T>({{6, rc::gen::just(usual)}, {1, rc::gen::elementOf(others)}});
}

Json gen_manifest() {
  Json m = *rc::gen::resize(8, gen_value(2));
  if (!m.is_object()) m = Json::object();
  m["apiVersion"] = mostly<Json>("apps/v1", {"v1", "", "ké/v1", 3});
  m["kind"] = mostly<Json>("Deployment", {"ConfigMap", "Secret", "GeneratedSecret", "", "a\"b"});
  Json meta = *rc::gen::resize(8, gen_value(1));
  if (!meta.is_object() || *rc::gen::inRange(0, 5) > 0) meta = Json::object();
  meta["name"] = mostly<Json>("web", {"", "n\\1", "日本", nullptr});
  if (*rc::gen::arbitrary<bool>()) meta["namespace"] = mostly<Json>("prod", {"", 7});
  m["metadata"] = meta;
  if (*rc::gen::inRange(0, 20) == 0) m.erase("metadata");
  return m;
}

// canonical_json(value), or the case discarded when there is none.
std::string canonical_or_discard(const Json& value) {
  try {
    return canonical_json(value);
  } catch (const Error&) {
    RC_DISCARD("no canonical form");
  }
  return {};
}

// `bytes` with one small edit: a byte changed, inserted or removed, or a
// number turned into one that reads almost the same.
std::string edited(std::string bytes) {
  std::vector<size_t> numbers;
  for (size_t p = 1; p < bytes.size(); ++p) {
    if (std::string_view(":[,").find(bytes[p - 1]) != std::string_view::npos &&
        std::string_view("-0123456789").find(bytes[p]) != std::string_view::npos) {
      numbers.push_back(p);
    }
  }
  if (!numbers.empty() && *rc::gen::arbitrary<bool>()) {
    const size_t start = *rc::gen::elementOf(numbers);
    const size_t end = bytes.find_first_not_of("-+0123456789.eE", start);
    bytes.replace(start, end - start,
                  *rc::gen::elementOf(std::vector<std::string>{"-0",
                                                               "00",
                                                               "01",
                                                               "-01",
                                                               "1.0",
                                                               "1e2",
                                                               "1E2",
                                                               "-",
                                                               "0x1",
                                                               "+1",
                                                               "0",
                                                               "1.",
                                                               ".5",
                                                               "1e",
                                                               "1e+",
                                                               "-0.0",
                                                               "1e400",
                                                               "1e-400",
                                                               "4.9e-324",
                                                               "99999999999999999",
                                                               "9007199254740993",
                                                               "-9007199254740992",
                                                               "18446744073709551616"}));
    return bytes;
  }
  const size_t at = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
  const char byte =
      *rc::gen::elementOf(std::string(" \t\n{}[]:,\"\\0123456789-.eEtrufalsnu\x80\xc3\xa9\xff"));
  switch (*rc::gen::inRange(0, 3)) {
    case 0:
      if (at < bytes.size()) bytes[at] = byte;
      break;
    case 1:
      bytes.insert(at, 1, byte);
      break;
    default:
      if (at < bytes.size()) bytes.erase(at, 1);
  }
  return bytes;
}

RC_GTEST_PROP(CanonicalScan, AgreesWithParsingOnCanonicalManifests, ()) {
  const std::string bytes = canonical_or_discard(gen_manifest());
  const auto scanned = canonical_manifest_identity(bytes);
  const auto parsed = by_parsing(bytes);
  RC_CLASSIFY(scanned.has_value(), "answered by the scan");
  if (scanned) RC_ASSERT(parsed == scanned);
}

RC_GTEST_PROP(CanonicalScan, NeverAcceptsWhatParsingRejects, ()) {
  const std::string bytes = edited(canonical_or_discard(gen_manifest()));
  const auto scanned = canonical_manifest_identity(bytes);
  RC_CLASSIFY(scanned.has_value(), "answered by the scan");
  if (scanned) RC_ASSERT(by_parsing(bytes) == scanned);
}

RC_GTEST_PROP(CanonicalParse, GivesWhatTheParserGivesOnCanonicalBytes, ()) {
  const std::string bytes = canonical_or_discard(*rc::gen::resize(12, gen_value(3)));
  const auto value = parse_canonical_json(bytes);
  RC_CLASSIFY(value.has_value(), "answered without the parser");
  if (value) RC_ASSERT(testing::same_json(*value, Json::parse(bytes)));
}

RC_GTEST_PROP(CanonicalParse, NeverAcceptsWhatTheParserRejectsOrReadsOtherwise, ()) {
  const std::string bytes = edited(canonical_or_discard(*rc::gen::resize(12, gen_value(3))));
  const auto value = parse_canonical_json(bytes);
  RC_CLASSIFY(value.has_value(), "answered without the parser");
  if (!value) return;
  Json parsed;
  try {
    parsed = Json::parse(bytes);
  } catch (const Json::exception&) {
    RC_FAIL("accepted bytes the parser rejects: " + bytes);
  }
  RC_ASSERT(testing::same_json(*value, parsed));
}

}  // namespace
}  // namespace kix
