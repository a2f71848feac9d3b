#include "compiler/schema_file.h"

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include "manifest/canonical_json.h"
#include "util/error.h"

namespace kix {
namespace {

// The bytes that start or end a nested value or a string.
constexpr auto kStructural = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : std::string_view("\"{}[]")) table[c] = true;
  return table;
}();

// A cursor over the file's text that knows just enough JSON to find where
// each value ends: strings with their escapes, and brackets that must nest.
// Numbers and literals are skipped as runs of other bytes; the parser that
// later reads a definition checks them.
class Scanner {
 public:
  Scanner(const std::filesystem::path& path, std::string_view text) : path_(path), text_(text) {}

  size_t position() const { return pos_; }

  // A UTF-8 byte order mark, which JSON readers skip too.
  void skip_byte_order_mark() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  void skip_whitespace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool at(char c) {
    skip_whitespace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  void expect(char c) {
    if (!at(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  // The string starting here, its escapes decoded.
  std::string string() {
    skip_whitespace();
    const size_t begin = pos_;
    skip_string();
    std::string_view raw = text_.substr(begin, pos_ - begin);
    if (raw.find('\\') == std::string_view::npos) return std::string(raw.substr(1, raw.size() - 2));
    Json decoded = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (!decoded.is_string()) fail("a string is not valid JSON", begin);
    return decoded.get<std::string>();
  }

  // An object: for each member, `value(key)` is called with the cursor on
  // the member's value, which it must move past.
  template <typename OnMember>
  void members(OnMember value) {
    expect('{');
    if (!at('}')) {
      do {
        const std::string key = string();
        expect(':');
        value(key);
      } while (at(',') && (expect(','), true));
    }
    expect('}');
  }

  // Moves past one value; returns where it began.
  size_t skip_value() {
    skip_whitespace();
    const size_t begin = pos_;
    if (pos_ >= text_.size()) fail("expected a value");
    const char first = text_[pos_];
    if (first == '"') {
      skip_string();
      return begin;
    }
    if (first == '{' || first == '[') {
      std::string closers;
      while (true) {
        if (pos_ >= text_.size()) fail("unterminated object or array", begin);
        const char c = text_[pos_];
        if (c == '"') {
          skip_string();
          continue;
        }
        if (c == '{' || c == '[') {
          closers.push_back(c == '{' ? '}' : ']');
        } else if (c == '}' || c == ']') {
          if (closers.back() != c) fail(std::string("unexpected '") + c + "'");
          closers.pop_back();
          if (closers.empty()) {
            ++pos_;
            return begin;
          }
        }
        // Most bytes are none of the five that matter: step over them in a
        // tight loop (the Kubernetes file is 250 KB).
        ++pos_;
        while (pos_ < text_.size() && !kStructural[static_cast<unsigned char>(text_[pos_])]) ++pos_;
      }
    }
    while (pos_ < text_.size() && is_scalar_byte(text_[pos_])) ++pos_;
    if (pos_ == begin) fail("expected a value");
    return begin;
  }

  [[noreturn]] void fail(const std::string& what) { fail(what, pos_); }

  [[noreturn]] void fail(const std::string& what, size_t at) {
    throw Error(ErrorKind::kCorruption,
                "schema file " + path_.string() + " is not a kix schema file: " + what +
                    " at byte " + std::to_string(at),
                SourceLocation{path_.string()}, "regenerate it with schema/generate.py");
  }

 private:
  // A byte of a number or literal (true, false, null).
  static bool is_scalar_byte(char c) {
    return c != '"' && c != '{' && c != '[' && c != '}' && c != ']' && c != ',' && c != ':' &&
           c != ' ' && c != '\t' && c != '\n' && c != '\r';
  }

  // A quote ends the string unless an odd number of backslashes precede it.
  void skip_string() {
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string");
    const size_t begin = pos_++;
    while (true) {
      const void* quote = std::memchr(text_.data() + pos_, '"', text_.size() - pos_);
      if (quote == nullptr) fail("unterminated string", begin);
      const size_t stop = static_cast<size_t>(static_cast<const char*>(quote) - text_.data());
      size_t backslashes = 0;
      while (stop - backslashes > begin + 1 && text_[stop - backslashes - 1] == '\\') ++backslashes;
      pos_ = stop + 1;
      if (backslashes % 2 == 0) return;
    }
  }

  const std::filesystem::path& path_;
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

SchemaFile index_schema_text(std::filesystem::path path, std::string text) {
  SchemaFile file;
  file.path = std::move(path);
  file.text = std::move(text);
  Scanner scan(file.path, file.text);
  scan.skip_byte_order_mark();
  bool has_kinds = false;
  bool has_definitions = false;
  scan.members([&](const std::string& key) {
    // A key given twice: the last one counts, as in every JSON reader.
    if (key == "definitions") {
      has_definitions = true;
      file.definitions.clear();
      scan.members([&](const std::string& name) {
        const size_t begin = scan.skip_value();
        file.definitions.emplace_back(name, SchemaFile::Span{begin, scan.position()});
      });
    } else if (key == "kinds") {
      has_kinds = true;
      file.kinds.clear();
      scan.members([&](const std::string& kind) {
        if (!scan.at('"')) scan.fail("kind " + kind + " does not name a definition");
        file.kinds[kind] = scan.string();
      });
    } else {
      scan.skip_value();
    }
  });
  scan.skip_whitespace();
  if (scan.position() != file.text.size()) scan.fail("text after the top-level object");
  if (!has_kinds || !has_definitions) {
    scan.fail(std::string("no \"") + (has_kinds ? "definitions" : "kinds") + "\" object", 0);
  }
  return file;
}

SchemaFile read_schema_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kIo, "cannot read schema file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return index_schema_text(path, std::move(text).str());
}

}  // namespace kix
