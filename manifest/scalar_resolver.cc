#include "manifest/scalar_resolver.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "manifest/canonical_json.h"

namespace kix {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) return true;
  }
  return false;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_core_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Parses digits in `base` into a magnitude; false on overflow of 2^53.
bool parse_magnitude(std::string_view digits, int base, uint64_t& out) {
  out = 0;
  for (char c : digits) {
    int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    out = out * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (out > static_cast<uint64_t>(kMaxExactInteger)) return false;
  }
  return true;
}

bool all_in(std::string_view s, std::string_view allowed) {
  if (s.empty()) return false;
  for (char c : s) {
    if (allowed.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

ScalarResolution resolve_core_scalar(std::string_view s) {
  ScalarResolution r;
  if (s.empty() || one_of(s, {"~", "null", "Null", "NULL"})) {
    r.kind = ScalarKind::kNull;
    return r;
  }
  if (one_of(s, {"true", "True", "TRUE"})) {
    r.kind = ScalarKind::kBool;
    r.bool_value = true;
    return r;
  }
  if (one_of(s, {"false", "False", "FALSE"})) {
    r.kind = ScalarKind::kBool;
    return r;
  }
  char first = s[0];
  if (!is_digit(first) && first != '-' && first != '+' && first != '.') {
    if (one_of(s, {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})) {
      r.yaml11_bool = true;
      r.yaml11_bool_value = true;
    } else if (one_of(s, {"n", "N", "no", "No", "NO", "off", "Off", "OFF"})) {
      r.yaml11_bool = true;
    }
    return r;
  }
  std::string_view unsigned_part = s;
  bool negative = false;
  if (first == '-' || first == '+') {
    negative = first == '-';
    unsigned_part.remove_prefix(1);
  }
  // Integers: decimal with optional sign; 0o octal and 0x hex unsigned.
  uint64_t magnitude = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    bool octal = s[1] == 'o';
    std::string_view digits = s.substr(2);
    if (all_in(digits, octal ? "01234567" : "0123456789abcdefABCDEF")) {
      r.kind = parse_magnitude(digits, octal ? 8 : 16, magnitude) ? ScalarKind::kInt
                                                                  : ScalarKind::kIntTooLarge;
      r.int_value = static_cast<int64_t>(magnitude);
      return r;
    }
    return r;  // "0xZZ" is a string
  }
  if (all_in(unsigned_part, "0123456789")) {
    if (!parse_magnitude(unsigned_part, 10, magnitude)) {
      r.kind = ScalarKind::kIntTooLarge;
      return r;
    }
    r.kind = ScalarKind::kInt;
    r.int_value = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
    if (unsigned_part.size() > 1 && unsigned_part[0] == '0' && all_in(unsigned_part, "01234567")) {
      uint64_t octal = 0;
      if (parse_magnitude(unsigned_part, 8, octal)) {
        r.yaml11_octal = true;
        r.octal_value = negative ? -static_cast<int64_t>(octal) : static_cast<int64_t>(octal);
      }
    }
    return r;
  }
  if (one_of(unsigned_part, {".inf", ".Inf", ".INF"}) ||
      (unsigned_part.size() == s.size() && one_of(s, {".nan", ".NaN", ".NAN"}))) {
    r.kind = ScalarKind::kNonFinite;
    return r;
  }
  if (is_core_float(s)) {
    std::string copy(s);
    errno = 0;
    double v = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(v)) {
      r.kind = ScalarKind::kNonFinite;
      return r;
    }
    r.kind = ScalarKind::kFloat;
    r.float_value = v;
    return r;
  }
  return r;
}

}  // namespace kix
