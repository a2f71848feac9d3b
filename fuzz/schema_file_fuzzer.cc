// Schema file index: any bytes give an index or a corruption error, never a
// crash or a span outside the text; and a file nlohmann parses as a kix
// schema file is indexed to exactly its definitions and kinds.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "compiler/schema_file.h"
#include "fuzz/fuzz_invariants.h"

namespace {

// Whether `whole` has the shape the index accepts, with no duplicate
// definition names (nlohmann keeps one of them; the index keeps both).
bool is_schema_file(const kix::Json& whole, std::string_view text) {
  if (!whole.is_object() || !whole.contains("kinds") || !whole.contains("definitions")) {
    return false;
  }
  if (!whole["kinds"].is_object() || !whole["definitions"].is_object()) return false;
  for (const auto& [kind, name] : whole["kinds"].items()) {
    if (!name.is_string()) return false;
  }
  // Duplicate keys anywhere make the comparison ambiguous: count them by a
  // second parse that keeps every key.
  size_t keys = 0;
  kix::Json::parser_callback_t count = [&](int, kix::Json::parse_event_t event, kix::Json&) {
    if (event == kix::Json::parse_event_t::key) ++keys;
    return true;
  };
  (void)kix::Json::parse(text, count, false);
  size_t unique = 0;
  std::function<void(const kix::Json&)> walk = [&](const kix::Json& value) {
    if (value.is_object()) {
      unique += value.size();
      for (const auto& [k, v] : value.items()) walk(v);
    } else if (value.is_array()) {
      for (const auto& v : value) walk(v);
    }
  };
  walk(whole);
  return keys == unique;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  kix::Json whole = kix::Json::parse(text, nullptr, false);
  // nlohmann's lexer takes a NUL byte for the end of the input and so accepts
  // a document followed by NULs; the index rightly calls those bytes
  // corruption, so such a text is not a reference for the comparison.
  const bool valid =
      !whole.is_discarded() && text.find('\0') == std::string::npos && is_schema_file(whole, text);
  try {
    kix::SchemaFile file = kix::index_schema_text("fuzz.json", text);
    size_t previous_end = 0;
    for (const auto& [name, span] : file.definitions) {
      kix::fuzz::require(
          span.begin >= previous_end && span.begin < span.end && span.end <= file.text.size(),
          "definition spans are ordered and inside the text");
      previous_end = span.end;
    }
    if (valid) {
      kix::fuzz::require(file.definitions.size() == whole["definitions"].size(),
                         "every definition is indexed");
      for (const auto& [name, span] : file.definitions) {
        kix::Json parsed = kix::Json::parse(file.definition_text(span), nullptr, false);
        kix::fuzz::require(parsed == whole["definitions"][name],
                           "a definition's span parses to its value");
      }
      kix::fuzz::require(file.kinds.size() == whole["kinds"].size(), "every kind is indexed");
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!valid, "a valid schema file is indexed");
    kix::fuzz::require(e.kind() == kix::ErrorKind::kCorruption, "errors are corruption errors");
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
