// JSON text into a JSON value with nlohmann's SAX parser (fast, validating
// UTF-8), plus a small scanner that finds source locations when a
// diagnostic or the compiler needs them.
#include <memory>

#include "manifest/document.h"
#include "manifest/secrets.h"
#include "manifest/utf8.h"

namespace kix {

namespace {

// Line and column (1-based) of a byte offset.
SourceLocation location_of(std::string_view text, const std::string& file, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {file, line, col};
}

// Walks syntactically valid JSON and records where every value starts,
// keyed by JSON Pointer. Only used off the hot path.
class JsonLocator {
 public:
  JsonLocator(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  // Records locations down to `max_depth`; deeper input (already rejected
  // by the parser) ends the scan instead of recursing further.
  LocationIndex run(size_t max_depth) {
    max_depth_ = max_depth;
    skip_ws();
    try {
      value("", 0);
    } catch (const TooDeep&) {
    }
    return std::move(index_);
  }

 private:
  void skip_ws() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        col_ = 1;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++col_;
      } else {
        break;
      }
      ++pos_;
    }
  }
  void advance() {
    // Columns count bytes; good enough for a caret under ASCII structure.
    ++pos_;
    ++col_;
  }
  std::string string_token() {
    std::string out;
    advance();  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        char esc = text_[pos_ + 1];
        advance();
        advance();
        switch (esc) {
          case 'u': {
            // Keys with \u escapes are rare; decode the BMP code point.
            unsigned cp = 0;
            for (int i = 0; i < 4 && pos_ < text_.size(); ++i) {
              char h = text_[pos_];
              cp = cp * 16 + static_cast<unsigned>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
              advance();
            }
            append_utf8(cp, out);
            break;
          }
          default:
            out += json_short_escape(esc);
        }
        continue;
      }
      out += text_[pos_];
      advance();
    }
    advance();  // closing quote
    return out;
  }
  struct TooDeep {};

  void value(const std::string& pointer, size_t depth) {
    if (depth > max_depth_) throw TooDeep{};
    index_.insert_or_assign(
        pointer,
        SourceLocation{file_, line_,
                       col_});  // last wins: a duplicate key points at its second occurrence
    if (pos_ >= text_.size()) return;
    char c = text_[pos_];
    if (c == '{') {
      advance();
      skip_ws();
      while (pos_ < text_.size() && text_[pos_] != '}') {
        std::string key = string_token();
        skip_ws();
        advance();  // ':'
        skip_ws();
        value(pointer + "/" + json_pointer_escape(key), depth + 1);
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          advance();
          skip_ws();
        }
      }
      advance();
    } else if (c == '[') {
      advance();
      skip_ws();
      size_t i = 0;
      while (pos_ < text_.size() && text_[pos_] != ']') {
        value(pointer + "/" + std::to_string(i++), depth + 1);
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          advance();
          skip_ws();
        }
      }
      advance();
    } else if (c == '"') {
      string_token();
    } else {
      // A literal; always consume one byte so malformed input (the text
      // after a semantic error need not be valid) cannot stall the scan.
      advance();
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
             text_[pos_] != ']' && text_[pos_] != ' ' && text_[pos_] != '\n' &&
             text_[pos_] != '\t' && text_[pos_] != '\r') {
        advance();
      }
    }
  }

  std::string_view text_;
  const std::string& file_;
  size_t pos_ = 0;
  size_t max_depth_ = 0;
  int line_ = 1, col_ = 1;
  LocationIndex index_;
};

// A semantic problem found by the SAX handler, located afterwards.
struct Deferred {
  std::string pointer;
  std::string message;
  std::string hint;
};

class SaxBuilder : public nlohmann::json_sax<Json> {
 public:
  explicit SaxBuilder(const ParseLimits& limits) : limits_(limits) {}

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(number_integer_t v) override {
    if (v > kMaxExactInteger || v < -kMaxExactInteger) return too_large(std::to_string(v));
    return put(v);
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<uint64_t>(kMaxExactInteger)) return too_large(std::to_string(v));
    return put(static_cast<int64_t>(v));
  }
  bool number_float(number_float_t v, const string_t& raw) override {
    if (raw.find_first_of(".eE") == std::string::npos) return too_large(raw);
    return put(v);
  }
  bool string(string_t& v) override { return put(std::move(v)); }
  bool binary(binary_t&) override { return put(nullptr); }
  bool start_object(std::size_t) override { return open(Json::object()); }
  bool key(string_t& k) override {
    auto& obj = stack_.back().value.get_ref<Json::object_t&>();
    if (obj.count(k) != 0) {
      fail(pointer_of_child(k), "duplicate key '" + k + "'",
           "an object may hold each key once; remove or rename one of them");
      return false;
    }
    stack_.back().key = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    syntax_position_ = position;
    syntax_message_ = ex.what();
    return false;
  }

  Json result;
  std::optional<Deferred> problem;
  std::optional<size_t> syntax_position_;
  std::string syntax_message_;

 private:
  struct Frame {
    Json value;
    std::string key;
  };

  std::string pointer_of_child(const std::string& key) const {
    // The pending child of every frame but the innermost names the path.
    std::string p;
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (i + 1 < stack_.size()) {
        const auto& f = stack_[i];
        p += "/" +
             (f.value.is_object() ? json_pointer_escape(f.key) : std::to_string(f.value.size()));
      }
    }
    return p + "/" + json_pointer_escape(key);
  }
  std::string current_pointer() const {
    std::string p;
    for (const auto& f : stack_) {
      p +=
          "/" + (f.value.is_object() ? json_pointer_escape(f.key) : std::to_string(f.value.size()));
    }
    return p;
  }
  void fail(std::string pointer, std::string message, std::string hint) {
    if (!problem) problem = Deferred{std::move(pointer), std::move(message), std::move(hint)};
  }
  bool too_large(const std::string& raw) {
    fail(current_pointer(),
         "integer " + raw + " cannot be represented exactly in canonical JSON (beyond ±2^53)",
         "RFC 8785 numbers are IEEE-754 doubles; quote the value to make it a string");
    return false;
  }
  bool put(Json v) {
    if (stack_.empty()) {
      result = std::move(v);
      return true;
    }
    if (++nodes_ > limits_.max_nodes) {
      fail(current_pointer(),
           "document has more than " + std::to_string(limits_.max_nodes) + " nodes",
           "split it into several documents");
      return false;
    }
    Frame& f = stack_.back();
    if (f.value.is_object()) {
      f.value.get_ref<Json::object_t&>().emplace(std::move(f.key), std::move(v));
    } else {
      f.value.get_ref<Json::array_t&>().push_back(std::move(v));
    }
    return true;
  }
  bool open(Json container) {
    if (stack_.size() >= limits_.max_depth) {
      fail(current_pointer(),
           "nesting is deeper than " + std::to_string(limits_.max_depth) + " levels",
           "flatten the structure");
      return false;
    }
    stack_.push_back({std::move(container), {}});
    return true;
  }
  bool close() {
    Json v = std::move(stack_.back().value);
    stack_.pop_back();
    return put(std::move(v));
  }

  const ParseLimits& limits_;
  std::vector<Frame> stack_;
  size_t nodes_ = 0;
};

}  // namespace

std::vector<Document> parse_json(std::string_view text, const std::string& file,
                                 Diagnostics& /*diags*/, const ParseOptions& options) {
  if (text.size() > options.limits.max_document_bytes) {
    throw Error(ErrorKind::kInvalidInput,
                "document is larger than " +
                    std::to_string(options.limits.max_document_bytes >> 20) + " MiB",
                {file, 1, 1}, "split it into several files");
  }
  SaxBuilder sax(options.limits);
  bool ok = Json::sax_parse(text.begin(), text.end(), &sax, Json::input_format_t::json, true);
  if (!ok) {
    // One JSON text is one document; if it mentions a Secret (a List may
    // hold one anywhere), no line or value of it is shown.
    const bool secret = mentions_secret(text);
    if (sax.problem) {
      // Semantic problems are located by scanning the text (valid up to here).
      JsonLocator locator(text, file);
      LocationIndex index;
      try {
        index = locator.run(options.limits.max_depth);
      } catch (...) {
      }
      Document d;
      d.locations = std::make_shared<LocationIndex>(std::move(index));
      d.location = {file, 1, 1};
      SourceLocation where = d.locate(sax.problem->pointer);
      std::string message = sax.problem->message;
      if (secret && message.starts_with("integer ")) {
        message = "an integer" + message.substr(message.find(" cannot"));
      }
      Error e(ErrorKind::kInvalidInput, message, where, sax.problem->hint);
      if (!secret) e.with_source_line(line_of(text, where.line));
      throw e;
    }
    size_t offset = sax.syntax_position_.value_or(0);
    // nlohmann reports the count of characters read; point at the last one.
    SourceLocation where = location_of(text, file, offset > 0 ? offset - 1 : 0);
    std::string message = sax.syntax_message_;
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (auto p = message.find("syntax error"); p != std::string::npos) message = message.substr(p);
    if (auto p = message.find("invalid string"); p != std::string::npos)
      message = message.substr(p);
    // nlohmann quotes what it read last ("last read: '...'"): in a text
    // that may hold a Secret, that can be a value.
    if (secret) {
      if (auto p = message.find("; last read:"); p != std::string::npos) message.resize(p);
    }
    Error e(ErrorKind::kInvalidInput, "invalid JSON: " + message, where,
            "check the brackets, commas and quotes around this position");
    if (!secret) e.with_source_line(line_of(text, where.line));
    throw e;
  }
  Document d;
  d.value = std::move(sax.result);
  d.location = {file, 1, 1};
  if (options.record_locations) {
    d.locations =
        std::make_shared<LocationIndex>(JsonLocator(text, file).run(options.limits.max_depth));
    if (auto it = d.locations->find(""); it != d.locations->end()) d.location = it->second;
  }
  std::vector<Document> out;
  out.push_back(std::move(d));
  return out;
}

}  // namespace kix
