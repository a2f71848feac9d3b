#include "manifest/canonical_scan.h"

#include <charconv>
#include <string>

#include "manifest/canonical_json.h"
#include "manifest/secret_sources.h"

namespace kix {

namespace {

// Bytes a canonical string holds as they are: from U+0020 on, except '"',
// '\\' and the bytes of multi-byte UTF-8 sequences (checked one by one).
struct PlainBytes {
  bool plain[256];
  constexpr PlainBytes() : plain() {
    for (int b = 0x20; b < 0x80; ++b) plain[b] = b != '"' && b != '\\';
  }
};
constexpr PlainBytes kPlainBytes;

// The lexical and structural rules of canonical form, shared by the scan
// and the parse below. Each function starts at `pos_` and leaves it after
// what it read; false means "not shown", never "wrong".
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view s) : s_(s) {}

 protected:
  std::string_view s_;
  size_t pos_ = 0;

  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // Keys in strictly increasing UTF-16 order (so no duplicates), without
  // escapes; `member(key)` reads each value.
  template <typename Member>
  bool object(size_t depth, Member&& member) {
    if (!at('{') || depth > kMaxScanDepth) return false;
    ++pos_;
    if (at('}')) {
      ++pos_;
      return true;
    }
    std::string_view previous;
    bool first = true;
    while (true) {
      std::string_view key;
      if (!string(key, true)) return false;
      if (!first && !utf16_less(previous, key)) return false;
      previous = key;
      first = false;
      if (!at(':')) return false;
      ++pos_;
      if (!member(key)) return false;
      if (at('}')) {
        ++pos_;
        return true;
      }
      if (!at(',')) return false;
      ++pos_;
    }
  }

  // `element()` reads each element.
  template <typename Element>
  bool array(size_t depth, Element&& element) {
    if (!at('[') || depth > kMaxScanDepth) return false;
    ++pos_;
    if (at(']')) {
      ++pos_;
      return true;
    }
    while (true) {
      if (!element()) return false;
      if (at(']')) {
        ++pos_;
        return true;
      }
      if (!at(',')) return false;
      ++pos_;
    }
  }

  // An identity field: a string without escapes, as its own characters.
  bool plain_string(std::string_view& out) { return string(out, true); }

  // A string in canonical form: raw bytes of valid UTF-8 from U+0020 on
  // except '"' and '\', and exactly the escapes canonical JSON writes.
  // With `plain`, no escape at all; `out` is the text between the quotes.
  bool string(std::string_view& out, bool plain) {
    if (!at('"')) return false;
    const size_t start = ++pos_;
    const size_t size = s_.size();
    while (pos_ < size) {
      // The common case, a run of plain ASCII, one table read a byte.
      while (pos_ < size && kPlainBytes.plain[static_cast<unsigned char>(s_[pos_])]) ++pos_;
      if (pos_ == size) break;
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out = s_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (plain || !escape()) return false;
        continue;
      }
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      if (!utf8_sequence()) return false;
    }
    return false;
  }

  bool escape() {
    if (pos_ + 1 >= s_.size()) return false;
    const char e = s_[pos_ + 1];
    if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
      pos_ += 2;
      return true;
    }
    // \u00XX, lowercase, only for the control characters without a short form.
    if (e != 'u' || pos_ + 6 > s_.size() || s_.substr(pos_ + 2, 2) != "00") return false;
    auto hex = [](char h) {
      return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
    };
    const int hi = hex(s_[pos_ + 4]), lo = hex(s_[pos_ + 5]);
    if (hi < 0 || hi > 1 || lo < 0) return false;
    const int c = hi * 16 + lo;
    if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return false;
    pos_ += 6;
    return true;
  }

  // One well-formed UTF-8 sequence of two to four bytes (no overlong form,
  // no surrogate, nothing above U+10FFFF), as JSON parsers require.
  bool utf8_sequence() {
    const auto b0 = static_cast<unsigned char>(s_[pos_]);
    size_t n;
    uint32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (pos_ + n > s_.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s_[pos_ + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    pos_ += n;
    return true;
  }

  // An integer as canonical JSON writes it: no sign on 0, no leading zero,
  // no fraction or exponent, and within ±2^53. Other numbers are left to
  // the parser (their canonical form needs the shortest round trip).
  bool integer() {
    const size_t start = pos_;
    if (at('-')) ++pos_;
    const size_t digits = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    const size_t count = pos_ - digits;
    if (count == 0 || count > 16) return false;
    if (s_[digits] == '0' && (count > 1 || digits > start)) return false;  // 01, -0
    if (at('.') || at('e') || at('E')) return false;
    if (count == 16) {
      uint64_t v = 0;
      for (size_t i = digits; i < pos_; ++i) v = v * 10 + static_cast<uint64_t>(s_[i] - '0');
      if (v > static_cast<uint64_t>(kMaxExactInteger)) return false;
    }
    return true;
  }
};

// A recursive-descent check of canonical form that reads the identity.
class Scanner : CanonicalReader {
 public:
  using CanonicalReader::CanonicalReader;

  std::optional<ResourceId> manifest() {
    std::string_view api, kind, name, ns;
    bool ns_seen = false, metadata_seen = false;
    bool ok = object(0, [&](std::string_view key) -> bool {
      if (key == "apiVersion" || key == "kind") {
        std::string_view& field = key == "kind" ? kind : api;
        return plain_string(field);
      }
      if (key != "metadata") return value(1);
      metadata_seen = true;
      return object(1, [&](std::string_view meta_key) -> bool {
        if (meta_key == "name") return plain_string(name);
        if (meta_key == "namespace") {
          ns_seen = true;
          return plain_string(ns);
        }
        return value(2);
      });
    });
    if (!ok || pos_ != s_.size() || !metadata_seen) return std::nullopt;
    if (api.empty() || kind.empty() || name.empty() || (ns_seen && ns.empty())) {
      return std::nullopt;  // make_manifest's errors are the parser's to give
    }
    ResourceId id{std::string(api), std::string(kind), std::string(ns), std::string(name)};
    // A Secret is checked against its sealed values, and a secret source's
    // recipe is read: both need the parsed value.
    if (id.kind == "Secret" || is_secret_source(id)) return std::nullopt;
    return id;
  }

 private:
  bool value(size_t depth) {
    if (pos_ >= s_.size() || depth > kMaxScanDepth) return false;
    switch (s_[pos_]) {
      case '{':
        return object(depth, [&](std::string_view) { return value(depth + 1); });
      case '[':
        return array(depth, [&] { return value(depth + 1); });
      case '"': {
        std::string_view ignored;
        return string(ignored, false);
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return integer();
    }
  }
};

// Builds the value of canonical bytes: the same walk as the scan, making
// values as it goes instead of a second pass by nlohmann's lexer, which
// copies every character into a token buffer and looks every key up.
class Builder : CanonicalReader {
 public:
  using CanonicalReader::CanonicalReader;

  std::optional<Json> document() {
    Json out;
    if (!value(out, 0) || pos_ != s_.size()) return std::nullopt;
    return out;
  }

 private:
  bool value(Json& out, size_t depth) {
    if (pos_ >= s_.size() || depth > kMaxScanDepth) return false;
    switch (s_[pos_]) {
      case '{': {
        out = Json::object();
        auto& members = out.get_ref<Json::object_t&>();
        // Keys arrive in UTF-16 order, which is byte order but for a few
        // characters: the hint is right almost always and harmless when not.
        return object(depth, [&](std::string_view key) {
          Json child;
          if (!value(child, depth + 1)) return false;
          members.emplace_hint(members.end(), std::string(key), std::move(child));
          return true;
        });
      }
      case '[': {
        out = Json::array();
        auto& elements = out.get_ref<Json::array_t&>();
        return array(depth, [&] {
          elements.emplace_back();
          return value(elements.back(), depth + 1);
        });
      }
      case '"': {
        std::string_view raw;
        if (!string(raw, false)) return false;
        out = decode(raw);
        return true;
      }
      case 't':
        out = true;
        return literal("true");
      case 'f':
        out = false;
        return literal("false");
      case 'n':
        out = nullptr;
        return literal("null");
      default:
        return number(out);
    }
  }

  // The text of a string the walk checked: only the escapes canonical
  // form writes can be in it.
  static std::string decode(std::string_view raw) {
    if (raw.find('\\') == std::string_view::npos) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        out += raw[i];
        continue;
      }
      if (raw[++i] != 'u') {
        out += json_short_escape(raw[i]);
        continue;
      }
      unsigned code = 0;  // \u00XX, XX in lowercase hex
      std::from_chars(raw.data() + i + 3, raw.data() + i + 5, code, 16);
      out += static_cast<char>(code);
      i += 4;
    }
    return out;
  }

  // A canonical integer becomes what nlohmann makes of it: unsigned when
  // not negative, signed otherwise. A number in JSON's grammar with a
  // fraction or an exponent is a double read with correct rounding, as
  // nlohmann's strtod reads it; one beyond a double's range, and any other
  // integer, is left to the parser.
  bool number(Json& out) {
    const size_t start = pos_;
    if (integer()) {
      const char* first = s_.data() + start;
      const char* last = s_.data() + pos_;
      if (*first == '-') {
        int64_t v = 0;
        std::from_chars(first, last, v);
        out = v;
      } else {
        uint64_t v = 0;
        std::from_chars(first, last, v);
        out = v;
      }
      return true;
    }
    pos_ = start;
    if (!json_number()) return false;
    // An integer the rule above turned down (-0, beyond ±2^53) is an
    // integer to nlohmann, not a double: the parser's to read.
    const std::string_view token = s_.substr(start, pos_ - start);
    if (token.find_first_of(".eE") == std::string_view::npos) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || end != s_.data() + pos_) return false;
    out = v;
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool json_number() {
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (at('-')) ++pos_;
    if (at('0')) {
      ++pos_;
    } else if (digits() == 0) {
      return false;
    }
    if (at('.')) {
      ++pos_;
      if (digits() == 0) return false;
    }
    if (at('e') || at('E')) {
      ++pos_;
      if (at('+') || at('-')) ++pos_;
      if (digits() == 0) return false;
    }
    return true;
  }
};

}  // namespace

std::optional<ResourceId> canonical_manifest_identity(std::string_view bytes) {
  return Scanner(bytes).manifest();
}

std::optional<Json> parse_canonical_json(std::string_view bytes) {
  return Builder(bytes).document();
}

}  // namespace kix
