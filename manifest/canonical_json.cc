#include "manifest/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "util/error.h"

namespace kix {

namespace {

// Decodes one UTF-8 code point starting at s[i]; advances i. Input is
// already validated by the readers, so malformed bytes map to themselves.
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int extra = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
  uint32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
  ++i;
  for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  return cp;
}

// The first UTF-16 code unit of a code point: where UTF-16 order and code
// point order disagree (supplementary planes sort before U+E000..U+FFFF).
uint32_t first_utf16_unit(uint32_t cp) {
  return cp >= 0x10000 ? 0xD800 + ((cp - 0x10000) >> 10) : cp;
}

}  // namespace

bool utf16_less(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    // Fast path: equal ASCII bytes.
    if (a[i] == b[j] && static_cast<unsigned char>(a[i]) < 0x80) {
      ++i;
      ++j;
      continue;
    }
    uint32_t ca = next_code_point(a, i);
    uint32_t cb = next_code_point(b, j);
    if (ca == cb) continue;
    uint32_t ua = first_utf16_unit(ca), ub = first_utf16_unit(cb);
    if (ua != ub) return ua < ub;
    return ca < cb;  // same high surrogate: the low surrogates order like the code points
  }
  return (a.size() - i) == 0 && (b.size() - j) > 0;
}

std::string canonical_number(double value) {
  if (!std::isfinite(value)) {
    throw Error(ErrorKind::kInvalidInput, "NaN and Infinity have no canonical JSON form", {},
                "RFC 8785 only allows finite numbers; quote the value to make it a string");
  }
  if (value == 0) return "0";  // also -0
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]x".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(), exp10);
  // ECMAScript Number::toString: value = 0.digits * 10^n.
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

void append_canonical_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the current run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_canonical_json(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer: {
      int64_t i = v.get<int64_t>();
      if (i > kMaxExactInteger || i < -kMaxExactInteger) {
        throw Error(
            ErrorKind::kInvalidInput,
            "integer " + std::to_string(i) + " cannot be represented exactly in canonical JSON", {},
            "RFC 8785 numbers are IEEE-754 doubles; quote the value to make it a string");
      }
      out += std::to_string(i);
      break;
    }
    case Json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(kMaxExactInteger)) {
        throw Error(
            ErrorKind::kInvalidInput,
            "integer " + std::to_string(u) + " cannot be represented exactly in canonical JSON", {},
            "RFC 8785 numbers are IEEE-754 doubles; quote the value to make it a string");
      }
      out += std::to_string(u);
      break;
    }
    case Json::value_t::number_float:
      out += canonical_number(v.get<double>());
      break;
    case Json::value_t::string:
      append_canonical_string(out, v.get_ref<const std::string&>());
      break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        append_canonical_json(out, e);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      // std::map orders by bytes (= code points); re-sort only when a key
      // has a byte >= 0xEE, the only case where UTF-16 order can differ.
      const auto& obj = v.get_ref<const Json::object_t&>();
      bool needs_sort = false;
      for (const auto& [k, _] : obj) {
        for (char c : k) {
          if (static_cast<unsigned char>(c) >= 0xEE) {
            needs_sort = true;
            break;
          }
        }
        if (needs_sort) break;
      }
      out += '{';
      auto emit = [&](const std::string& key, const Json& val, bool first) {
        if (!first) out += ',';
        append_canonical_string(out, key);
        out += ':';
        append_canonical_json(out, val);
      };
      if (!needs_sort) {
        bool first = true;
        for (const auto& [k, val] : obj) {
          emit(k, val, first);
          first = false;
        }
      } else {
        std::vector<const Json::object_t::value_type*> items;
        items.reserve(obj.size());
        for (const auto& kv : obj) items.push_back(&kv);
        std::sort(items.begin(), items.end(),
                  [](auto* a, auto* b) { return utf16_less(a->first, b->first); });
        bool first = true;
        for (auto* kv : items) {
          emit(kv->first, kv->second, first);
          first = false;
        }
      }
      out += '}';
      break;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      throw Error(ErrorKind::kInternal, "binary or discarded JSON value has no canonical form");
  }
}

std::string canonical_json(const Json& value) {
  std::string out;
  out.reserve(256);
  append_canonical_json(out, value);
  return out;
}

}  // namespace kix
