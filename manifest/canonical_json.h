// RFC 8785 (JSON Canonicalization Scheme) serialization: the bytes that
// blob hashes are computed over. See docs/hashing.md.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kix {

using Json = nlohmann::json;

// Canonical bytes of `value`: object keys sorted by UTF-16 code units,
// numbers in ECMAScript Number.prototype.toString form, strings with the
// minimal escapes, no whitespace. Throws kix::Error(kInvalidInput) for
// NaN/Infinity and for integers beyond ±2^53 (they cannot be represented
// exactly; the readers reject them first with a location).
std::string canonical_json(const Json& value);
void append_canonical_json(std::string& out, const Json& value);

// The ECMAScript shortest round-trip form of a double ("1e+21", "5e-324",
// "0.000001", "-0" -> "0").
std::string canonical_number(double value);
// A JSON string literal with RFC 8785 escaping, quotes included.
void append_canonical_string(std::string& out, std::string_view utf8);

// The character a one-letter JSON escape stands for: 'b', 'f', 'n', 'r'
// and 't' their control characters; '"', '\\' and '/' themselves.
constexpr char json_short_escape(char letter) {
  switch (letter) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return letter;
  }
}

// Orders UTF-8 strings by their UTF-16 code units, as RFC 8785 requires.
bool utf16_less(std::string_view a, std::string_view b);

// Largest integer magnitude that survives the trip through a double.
inline constexpr int64_t kMaxExactInteger = (int64_t{1} << 53);

}  // namespace kix
