#include "manifest/utf8.h"

namespace kix {

namespace {

// YAML 1.2's c-printable.
bool printable(uint32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
         (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

}  // namespace

std::optional<size_t> Utf8Validator::feed(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i, ++offset_) {
    // Manifests are mostly ASCII: skip whole words of it.
    while (needed_ == 0 && i + 8 <= bytes.size()) {
      uint64_t word;
      __builtin_memcpy(&word, bytes.data() + i, 8);
      if (word & 0x8080808080808080ULL) break;
      if (yaml_printable_) {
        // A byte below 0x20 (newlines included: checked one by one) or DEL.
        constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
        uint64_t del = word ^ (0x7F * kOnes);
        if (((word - 0x20 * kOnes) & ~word & kHigh) || ((del - kOnes) & ~del & kHigh)) break;
      }
      i += 8;
      offset_ += 8;
    }
    if (i == bytes.size()) break;
    uint8_t c = static_cast<uint8_t>(bytes[i]);
    if (needed_ > 0) {
      if (c < low_ || c > high_) return char_start_;
      low_ = 0x80;
      high_ = 0xBF;
      code_ = (code_ << 6) | (c & 0x3F);
      if (--needed_ == 0 && yaml_printable_ && !printable(code_)) return char_start_;
      continue;
    }
    char_start_ = offset_;
    if (c < 0x80) {
      if (yaml_printable_ && !printable(c)) return offset_;
      continue;
    }
    code_ = c & (c >= 0xF0 ? 0x07 : c >= 0xE0 ? 0x0F : 0x1F);
    // The first byte decides the length and, for some, the range of the
    // second byte (Unicode's table of well-formed byte sequences).
    if (c >= 0xC2 && c <= 0xDF) {
      needed_ = 1;
    } else if (c == 0xE0) {
      needed_ = 2;
      low_ = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      needed_ = 2;
    } else if (c == 0xED) {
      needed_ = 2;
      high_ = 0x9F;  // no surrogates
    } else if (c == 0xF0) {
      needed_ = 3;
      low_ = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      needed_ = 3;
    } else if (c == 0xF4) {
      needed_ = 3;
      high_ = 0x8F;  // nothing beyond U+10FFFF
    } else {
      return offset_;
    }
  }
  return std::nullopt;
}

std::optional<size_t> Utf8Validator::finish() const {
  if (needed_ > 0) return char_start_;
  return std::nullopt;
}

void append_utf8(uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::optional<size_t> first_invalid_utf8(std::string_view text, bool yaml_printable) {
  Utf8Validator v(yaml_printable);
  if (auto bad = v.feed(text)) return bad;
  return v.finish();
}

}  // namespace kix
