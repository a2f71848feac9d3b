#include "manifest/canonical_json.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

#include "util/error.h"

namespace kix {
namespace {

TEST(CanonicalNumber, MatchesRfc8785Examples) {
  EXPECT_EQ(canonical_number(1e21), "1e+21");
  EXPECT_EQ(canonical_number(1e20), "100000000000000000000");
  EXPECT_EQ(canonical_number(0.000001), "0.000001");
  EXPECT_EQ(canonical_number(0.0000001), "1e-7");
  EXPECT_EQ(canonical_number(-0.0), "0");
  EXPECT_EQ(canonical_number(5e-324), "5e-324");
  EXPECT_EQ(canonical_number(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(canonical_number(333333333.33333329), "333333333.3333333");
  EXPECT_EQ(canonical_number(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(canonical_number(-1.5), "-1.5");
  EXPECT_EQ(canonical_number(123.456), "123.456");
  EXPECT_EQ(canonical_number(295147905179352830000.0), "295147905179352830000");
  EXPECT_EQ(canonical_number(4.50), "4.5");
  EXPECT_EQ(canonical_number(2e-3), "0.002");
  EXPECT_EQ(canonical_number(1e-6), "0.000001");
}

TEST(CanonicalNumber, RejectsNonFinite) {
  EXPECT_ERROR_KIND(canonical_number(std::numeric_limits<double>::infinity()),
                    ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(canonical_number(std::numeric_limits<double>::quiet_NaN()),
                    ErrorKind::kInvalidInput);
}

TEST(CanonicalJson, SortsKeysByUtf16CodeUnits) {
  // RFC 8785 section 3.2.3's example: U+1F600 (surrogates D83D DE00) sorts
  // before U+FB33 even though its UTF-8 bytes are larger.
  Json v = Json::parse(
      R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})");
  EXPECT_EQ(canonical_json(v),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
            "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
            "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(CanonicalJson, EscapesOnlyWhatRfc8785Requires) {
  Json v = "\x01\b\t\n\f\r\"\\/\x7f\xe2\x80\xa8\xf0\x9f\x98\x80";
  EXPECT_EQ(canonical_json(v),
            "\"\\u0001\\b\\t\\n\\f\\r\\\"\\\\/\x7f\xe2\x80\xa8\xf0\x9f\x98\x80\"");
}

TEST(CanonicalJson, Rfc8785SampleObject) {
  Json v = Json::parse(R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })");
  EXPECT_EQ(canonical_json(v),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

TEST(CanonicalJson, RejectsIntegersBeyondDoublePrecision) {
  EXPECT_ERROR_KIND(canonical_json(Json(int64_t{1} << 60)), ErrorKind::kInvalidInput);
  EXPECT_EQ(canonical_json(Json(int64_t{1} << 53)), "9007199254740992");
  EXPECT_EQ(canonical_json(Json(-(int64_t{1} << 53))), "-9007199254740992");
}

TEST(Utf16Less, OrdersPrefixesFirst) {
  EXPECT_TRUE(utf16_less("a", "ab"));
  EXPECT_FALSE(utf16_less("ab", "a"));
  EXPECT_FALSE(utf16_less("a", "a"));
  EXPECT_TRUE(utf16_less("\xf0\x9f\x98\x80", "\xef\xac\xb3"));
  EXPECT_FALSE(utf16_less("\xef\xac\xb3", "\xf0\x9f\x98\x80"));
}

}  // namespace
}  // namespace kix
