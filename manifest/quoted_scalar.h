// Quoted YAML scalars ('single' and "double", YAML 1.2.2 sections 7.3.1 and
// 7.3.2) read from the source text between their quotes.
//
// libfyaml 0.7 (Debian 12) formats some quoted scalars wrongly: two escaped
// quotes in a row ('a''''b'), an escaped backslash before an escaped line
// break ("\\\<break>"), and some runs of escapes after empty lines come out
// with characters repeated or cut off, and the text it hands back may end
// in bytes it never wrote (found by the YAML fuzzer). The YAML reader
// therefore takes only the span from libfyaml and reads quoted values with
// these functions; block scalars have manifest/block_scalar.h.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kix {

struct QuotedScalarValue {
  std::string value;
  std::string problem;  // empty when the value was read
};

// The value of a single-quoted scalar whose text between the quotes is
// `raw`: '' is one quote, and line breaks fold (one break is a space, each
// further empty line a line feed; whitespace around breaks is dropped).
std::string read_single_quoted(std::string_view raw);

// The value of a double-quoted scalar whose text between the quotes is
// `raw`: the escapes of YAML 1.2 (\0 \a \b \t \n \v \f \r \e \<space> \"
// \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX), line folding as for single
// quotes, and an escaped line break, which joins the lines keeping the
// whitespace before the backslash. An unknown escape, or one that is not a
// Unicode scalar value (a surrogate, beyond U+10FFFF), is a problem.
QuotedScalarValue read_double_quoted(std::string_view raw);

}  // namespace kix
