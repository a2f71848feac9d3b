// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing
// beyond U+10FFFF), fed in pieces so a stream can be checked as it is read.
// The YAML reader checks its input with it before the parser sees a byte:
// manifests are UTF-8 text, and libfyaml 0.7 can loop forever on some
// malformed input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kix {

class Utf8Validator {
 public:
  // With `yaml_printable`, also refuses what YAML 1.2 does not allow in a
  // stream (its c-printable set): C0 controls other than tab, LF and CR,
  // DEL, C1 controls other than NEL (U+0085), U+FFFE and U+FFFF.
  explicit Utf8Validator(bool yaml_printable = false) : yaml_printable_(yaml_printable) {}

  // Checks the next piece. Returns the offset, counted from the first byte
  // ever fed, of the first byte that cannot start or continue a character,
  // or nullopt while everything is valid so far.
  std::optional<size_t> feed(std::string_view bytes);
  // At the end of the input: the offset of a character left incomplete.
  std::optional<size_t> finish() const;

 private:
  bool yaml_printable_ = false;
  uint32_t code_ = 0;      // the character being decoded
  size_t offset_ = 0;      // bytes fed so far
  size_t char_start_ = 0;  // where the current character started
  int needed_ = 0;         // continuation bytes still expected
  uint8_t low_ = 0x80;     // bounds of the next continuation byte
  uint8_t high_ = 0xBF;
};

// Appends the UTF-8 encoding of the code point `code` (at most U+10FFFF).
void append_utf8(uint32_t code, std::string& out);

// The offset of the first invalid byte of `text`, or nullopt.
std::optional<size_t> first_invalid_utf8(std::string_view text, bool yaml_printable = false);

}  // namespace kix
