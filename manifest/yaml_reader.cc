// YAML streams into JSON values with libfyaml's event parser, a YAML 1.2
// parser that passes the YAML test suite: the core schema, duplicate keys
// rejected, YAML 1.1 surprises warned about, `<<` merge keys honoured as
// kubectl does, and limits that keep alias bombs, deep nesting and endless
// input harmless. Input is either text in memory or a file descriptor read
// as the parser needs it, so a stream stops at its first error and never
// has to fit in memory whole.
#include <libfyaml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

#include "manifest/block_scalar.h"
#include "manifest/document.h"
#include "manifest/quoted_scalar.h"
#include "manifest/scalar_resolver.h"
#include "manifest/secrets.h"
#include "manifest/utf8.h"

namespace kix {

namespace {

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";
// How much a stream is read at a time.
constexpr size_t kReadChunk = 64 * 1024;

// Thrown in fast mode when a duplicate key is seen: the parse is repeated
// with locations recorded so the error can name both occurrences.
struct DuplicateKeyRetry {};

std::string_view token_text(fy_token* token) {
  if (token == nullptr) return {};
  size_t length = 0;
  const char* text = fy_token_get_text(token, &length);
  return text == nullptr ? std::string_view() : std::string_view(text, length);
}

// The input as the parser sees it, and the part of it still held for
// quoting lines in errors: everything from the start of the current
// document (text in memory is held whole).
class Source {
 public:
  // Text in memory.
  explicit Source(std::string_view text) : text_(text) {}
  // A file descriptor (not owned), read as the parser asks, with bytes
  // already read from it (to detect the format) given first.
  Source(int fd, std::string prefix, const std::string& name, const ParseLimits& limits)
      : fd_(fd), held_(std::move(prefix)), name_(name), limits_(&limits) {
    total_ = held_.size();
  }

  bool streaming() const { return fd_ >= 0; }
  // A stream has been read to its end.
  bool at_end() const { return eof_; }
  std::string_view text() const { return streaming() ? std::string_view(held_) : text_; }
  size_t base() const { return base_; }
  // Why the stream was cut off (too large, not UTF-8, unreadable), and what
  // to do; empty when it was not.
  const std::string& failure() const { return failure_; }
  const std::string& failure_hint() const { return failure_hint_; }
  ErrorKind failure_kind() const { return failure_kind_; }

  // Forgets what lies before absolute position `pos` (a document start).
  void forget_before(size_t pos) {
    document_start_ = pos;
    if (!streaming() || pos <= base_) return;
    size_t drop = std::min(pos - base_, held_.size());
    for (size_t i = 0; i < drop; ++i) base_line_ += held_[i] == '\n';
    held_.erase(0, drop);
    base_ += drop;
  }

  // The 1-based number of the line holding absolute position `pos` (held).
  int line_number_at(size_t pos) const {
    std::string_view t = text();
    size_t end = std::min(pos - std::min(pos, base_), t.size());
    size_t lines = base_line_;
    for (size_t i = 0; i < end; ++i) lines += t[i] == '\n';
    return static_cast<int>(lines) + 1;
  }

  // The line holding absolute position `pos`, or "" when it is not held.
  std::string line_at(size_t pos) const {
    std::string_view t = text();
    if (pos < base_ || pos - base_ > t.size()) return {};
    size_t at = pos - base_;
    size_t start = t.rfind('\n', at == 0 ? 0 : at - 1);
    start = (start == std::string_view::npos || at == 0) ? 0 : start + 1;
    if (at > 0 && at <= t.size() && t[at - 1] == '\n') start = at;
    size_t end = t.find('\n', at);
    return std::string(
        t.substr(start, end == std::string_view::npos ? t.size() - start : end - start));
  }

  // The libfyaml input callback: hands the parser what was read ahead
  // first, then reads the descriptor. Once the input or the current
  // document passes its limit, or reading fails, it records why and ends
  // the input (libfyaml 0.7 does not stop on a callback's -1, it keeps
  // asking); the builder checks failure() after every event.
  static ssize_t read(void* user, void* buffer, size_t count) {
    return static_cast<Source*>(user)->read_into(static_cast<char*>(buffer), count);
  }

 private:
  ssize_t read_into(char* buffer, size_t count) {
    if (!failure_.empty()) return 0;
    if (handed_ < total_) {
      // The prefix read to detect the format is checked the first time.
      if (handed_ == 0) {
        if (auto bad = utf8_.feed(held_)) {
          fail_utf8(*bad);
          return 0;
        }
      }
      size_t n = std::min(count, total_ - handed_);
      std::memcpy(buffer, held_.data() + (handed_ - base_), n);
      handed_ += n;
      return static_cast<ssize_t>(n);
    }
    count = std::min(count, kReadChunk);
    ssize_t n;
    do {
      n = ::read(fd_, buffer, count);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      fail(ErrorKind::kIo, "cannot read " + name_ + ": " + std::strerror(errno),
           "check the file and its permissions");
      return 0;
    }
    if (n == 0) {
      eof_ = true;
      if (auto bad = utf8_.finish()) fail_utf8(*bad);
      return 0;
    }
    if (auto bad = utf8_.feed(std::string_view(buffer, static_cast<size_t>(n)))) {
      fail_utf8(*bad);
      return 0;
    }
    total_ += static_cast<size_t>(n);
    if (total_ > limits_->max_input_bytes) {
      fail(ErrorKind::kInvalidInput,
           name_ + " is larger than " + std::to_string(limits_->max_input_bytes >> 20) + " MiB",
           kTooLargeHint);
      return 0;
    }
    if (total_ - document_start_ > limits_->max_document_bytes + kReadChunk) {
      fail(ErrorKind::kInvalidInput,
           "a document of " + name_ + " is larger than " +
               std::to_string(limits_->max_document_bytes >> 20) + " MiB",
           kTooLargeHint);
      return 0;
    }
    held_.append(buffer, static_cast<size_t>(n));
    handed_ += static_cast<size_t>(n);
    return n;
  }

  static constexpr const char* kTooLargeHint =
      "split the input into several files; the limits (docs/input.md) keep kix's memory bounded";

  void fail(ErrorKind kind, std::string message, std::string hint) {
    failure_kind_ = kind;
    failure_ = std::move(message);
    failure_hint_ = std::move(hint);
  }
  void fail_utf8(size_t offset) {
    fail(ErrorKind::kInvalidInput,
         name_ + " is not YAML text: an invalid UTF-8 sequence or a control character at byte " +
             std::to_string(offset),
         "the input must be UTF-8 text; write control characters as escapes (\"\\u0000\") "
         "inside double quotes");
  }

  std::string_view text_;
  int fd_ = -1;
  Utf8Validator utf8_{true};
  bool eof_ = false;
  std::string held_;  // streaming: the bytes from base_ on
  size_t base_ = 0;
  size_t base_line_ = 0;
  size_t total_ = 0;   // bytes read from the descriptor (and the prefix)
  size_t handed_ = 0;  // bytes given to the parser
  size_t document_start_ = 0;
  std::string name_;
  const ParseLimits* limits_ = nullptr;
  std::string failure_;
  std::string failure_hint_;
  ErrorKind failure_kind_ = ErrorKind::kInvalidInput;
};

// A libfyaml parser whose diagnostics are collected instead of printed.
class Parser {
 public:
  explicit Parser(Source& source) {
    fy_diag_cfg diag_cfg;
    fy_diag_cfg_default(&diag_cfg);
    diag_cfg.fp = nullptr;
    diag_cfg.colorize = false;
    diag_ = fy_diag_create(&diag_cfg);
    if (diag_ == nullptr) throw Error(ErrorKind::kInternal, "cannot create a YAML diagnostic");
    fy_diag_set_collect_errors(diag_, true);
    fy_parse_cfg cfg{};
    cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
                                                FYPCF_JSON_NONE | FYPCF_DISABLE_MMAP_OPT);
    cfg.diag = diag_;
    parser_ = fy_parser_create(&cfg);
    if (parser_ == nullptr) {
      fy_diag_destroy(diag_);
      throw Error(ErrorKind::kInternal, "cannot create the YAML parser (out of memory?)");
    }
    int rc = source.streaming()
                 ? fy_parser_set_input_callback(parser_, &source, &Source::read)
                 : fy_parser_set_string(parser_, source.text().data(), source.text().size());
    if (rc != 0) {
      fy_parser_destroy(parser_);
      fy_diag_destroy(diag_);
      throw Error(ErrorKind::kInternal, "cannot give the YAML parser its input");
    }
  }
  ~Parser() {
    fy_parser_destroy(parser_);
    fy_diag_destroy(diag_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  fy_parser* get() { return parser_; }
  bool failed() const { return fy_parser_get_stream_error(parser_); }
  // The first error libfyaml collected: message, 1-based line and column.
  std::optional<fy_diag_error> first_error() {
    void* iter = nullptr;
    fy_diag_error* e = fy_diag_errors_iterate(diag_, &iter);
    if (e == nullptr) return std::nullopt;
    return *e;
  }

 private:
  fy_diag* diag_ = nullptr;
  fy_parser* parser_ = nullptr;
};

// One event, freed when it goes.
class Event {
 public:
  Event(fy_parser* parser, fy_event* event) : parser_(parser), event_(event) {}
  ~Event() {
    if (event_ != nullptr) fy_parser_event_free(parser_, event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  fy_event* operator->() const { return event_; }
  explicit operator bool() const { return event_ != nullptr; }
  fy_event* get() const { return event_; }

 private:
  fy_parser* parser_;
  fy_event* event_;
};

struct Anchor {
  Json value;
  size_t nodes = 0;
};

// A map or sequence under construction.
struct Frame {
  Json value;
  bool is_map = false;
  bool have_key = false;
  bool merge_key = false;  // the pending key is the plain scalar `<<`
  std::string key;
  SourceLocation key_location;
  std::string pointer;  // JSON Pointer of this container (tracked mode only)
  std::string anchor;
  int column = -1;  // block collections: the column of their keys or "-"
  size_t nodes_at_start = 0;
  Json merged = Json::object();  // what `<<` brought in; explicit keys win
};

class YamlBuilder {
 public:
  YamlBuilder(Source& source, const std::string& file, Diagnostics& diags,
              const ParseOptions& options, bool track)
      : source_(source), file_(file), diags_(diags), options_(options), track_(track) {}

  std::vector<Document> run() {
    Parser parser(source_);
    std::vector<Document> docs;
    for (;;) {
      Event ev(parser.get(), fy_parser_parse(parser.get()));
      if (!source_.failure().empty()) throw syntax_error(parser);
      if (!ev) {
        if (parser.failed() || !source_.failure().empty()) throw syntax_error(parser);
        return docs;  // the end of the stream
      }
      switch (ev->type) {
        case FYET_NONE:
        case FYET_STREAM_START:
          break;
        case FYET_STREAM_END:
          check_nothing_dropped(ev.get());
          return docs;
        case FYET_DOCUMENT_START:
          if (docs.size() >= options_.limits.max_documents) {
            throw error_at(location(ev.get()),
                           "too many documents (more than " +
                               std::to_string(options_.limits.max_documents) + ")",
                           "split the input into several files");
          }
          begin_document(ev.get());
          break;
        case FYET_DOCUMENT_END:
          note_end(ev.get());
          docs.push_back(finish_document());
          break;
        case FYET_SCALAR: {
          size_t previous_end = last_end_;
          check_size(ev.get());
          on_scalar(ev.get(), previous_end);
          break;
        }
        case FYET_ALIAS:
          check_size(ev.get());
          on_alias(ev.get());
          break;
        case FYET_SEQUENCE_START:
        case FYET_MAPPING_START:
          check_size(ev.get());
          on_container_start(ev.get());
          break;
        case FYET_SEQUENCE_END:
        case FYET_MAPPING_END:
          on_container_end();
          break;
      }
    }
  }

 private:
  // Where an event starts; an event without a mark of its own (an empty
  // scalar) is placed where the previous one was.
  SourceLocation location(fy_event* e) {
    const fy_mark* m = fy_event_start_mark(e);
    if (m == nullptr || m->line < 0) return last_location_;
    last_location_ = {file_, m->line + 1, m->column + 1};
    return last_location_;
  }
  size_t position(fy_event* e) const {
    const fy_mark* m = fy_event_start_mark(e);
    return m == nullptr ? 0 : m->input_pos;
  }

  // Where a node starts, as a reader points at it: at its anchor or tag
  // when it has one, at the opening quote of a quoted scalar.
  SourceLocation node_location(fy_event* e, fy_token* anchor, fy_token* tag, fy_token* value) {
    SourceLocation where = location(e);
    const fy_mark* best = nullptr;
    for (fy_token* t : {anchor, tag}) {
      const fy_mark* m = t != nullptr ? fy_token_start_mark(t) : nullptr;
      if (m != nullptr && m->line >= 0 && (best == nullptr || m->input_pos < best->input_pos)) {
        best = m;
      }
    }
    if (best != nullptr) return {file_, best->line + 1, best->column + 1};
    if (value != nullptr && where.column > 1) {
      fy_scalar_style style = fy_token_scalar_style(value);
      if (style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) --where.column;
    }
    return where;
  }

  Error error_at(const SourceLocation& where, std::string message, std::string hint = {},
                 std::optional<size_t> pos = std::nullopt) const {
    Error e(ErrorKind::kInvalidInput, std::move(message), where, std::move(hint));
    // Inside a Secret the offending line may hold a secret value: name the
    // place, never quote it.
    if (!may_hold_secret() && where.line > 0) {
      std::string line = pos ? source_.line_at(*pos) : std::string();
      if (line.empty() && !source_.streaming()) line = line_of(source_.text(), where.line);
      if (!line.empty()) e.with_source_line(std::move(line));
    }
    return e;
  }
  Error error_at(fy_event* e, std::string message, std::string hint = {}) {
    return error_at(location(e), std::move(message), std::move(hint), position(e));
  }

  // Whether the current document may be, or hold, a Secret, so that no line
  // or value of it may be shown: it is one (`kind: Secret` at its top), or
  // its kind is not known yet, or it is a List, and its text mentions
  // "Secret" (or, read from a stream, is not all read yet). kubectl writes
  // `data` before `kind`, so an error can come before the kind is known.
  bool may_hold_secret() const {
    if (in_secret_) return true;
    if (top_kind_known_ && !top_kind_is_list_) return false;
    return document_mentions_secret();
  }

  bool document_mentions_secret() const {
    std::string_view t = source_.text();
    size_t from = doc_start_index_ - std::min(doc_start_index_, source_.base());
    if (from > t.size()) from = t.size();
    std::string_view rest = t.substr(from);
    // The document ends at the next document marker.
    for (size_t at = 0; (at = rest.find('\n', at)) != std::string_view::npos; ++at) {
      std::string_view next = rest.substr(at + 1, 3);
      if (next == "---" || next == "...") {
        rest = rest.substr(0, at);
        return mentions_secret(rest);
      }
    }
    return mentions_secret(rest) || (source_.streaming() && !source_.at_end());
  }

  // The scalar as a message may show it: never a Secret's value.
  std::string shown(std::string_view text) const {
    return may_hold_secret() ? std::string("a value") : "'" + std::string(text) + "'";
  }

  Error syntax_error(Parser& parser) const {
    if (!source_.failure().empty()) {
      return Error(source_.failure_kind(), source_.failure(), {}, source_.failure_hint());
    }
    std::optional<fy_diag_error> e = parser.first_error();
    std::string problem = e && e->msg != nullptr ? e->msg : "the input cannot be read";
    SourceLocation where{file_, e ? e->line : 0, e ? e->column : 0};
    std::optional<size_t> pos;
    if (e && e->fyt != nullptr) {
      if (const fy_mark* m = fy_token_start_mark(e->fyt)) pos = m->input_pos;
    }
    bool encoding = problem.find("UTF") != std::string::npos ||
                    problem.find("utf") != std::string::npos ||
                    problem.find("encoding") != std::string::npos;
    return error_at(where, "invalid YAML: " + problem,
                    encoding ? "the input must be UTF-8 text"
                             : "check the indentation and quoting around this line",
                    pos);
  }

  // libfyaml 0.7 ends a stream at a directive line after a document without
  // `...`, and reads no further: whatever follows would be lost silently.
  void check_nothing_dropped(fy_event* e) {
    const fy_mark* end = fy_event_start_mark(e);
    std::string_view t = source_.text();
    size_t from = std::max(last_end_, source_.base());
    size_t to = end != nullptr ? std::max(end->input_pos, from) : from;
    if (from - source_.base() > t.size()) return;
    std::string_view rest = t.substr(from - source_.base(), to - from);
    for (size_t at = 0; at < rest.size();) {
      size_t eol = rest.find('\n', at);
      std::string_view line =
          rest.substr(at, eol == std::string_view::npos ? rest.size() - at : eol - at);
      if (!line.empty() && line.front() == '%') {
        size_t pos = from + at;
        throw error_at(SourceLocation{file_, source_.line_number_at(pos), 1},
                       "invalid YAML: a directive after a document needs an explicit end '...' "
                       "before it and a '---' after it",
                       "end the document with '...', or remove the line starting with '%'", pos);
      }
      if (eol == std::string_view::npos) break;
      at = eol + 1;
    }
  }

  // Remembers how far the input was consumed by an event that has a mark.
  void note_end(fy_event* e) {
    const fy_mark* end = fy_event_end_mark(e);
    if (end != nullptr && end->line >= 0) last_end_ = std::max(last_end_, end->input_pos);
  }

  void begin_document(fy_event* e) {
    note_end(e);
    const fy_mark* m = fy_event_start_mark(e);
    doc_start_index_ = m != nullptr && m->line >= 0 ? m->input_pos : last_end_;
    source_.forget_before(doc_start_index_);
    doc_location_ = m != nullptr && m->line >= 0 ? location(e) : SourceLocation{file_, 0, 0};
    stack_.clear();
    anchors_.clear();
    key_locations_.clear();
    in_secret_ = false;
    top_kind_known_ = false;
    top_kind_is_list_ = false;
    nodes_ = 0;
    alias_nodes_ = 0;
    root_ = Json();
    if (track_) locations_ = std::make_shared<LocationIndex>();
    tags_.reset();
  }

  Document finish_document() {
    Document d;
    d.value = std::move(root_);
    d.location = first_node_location_.known()
                     ? first_node_location_
                     : (doc_location_.line > 0 ? doc_location_ : SourceLocation{file_, 1, 1});
    first_node_location_ = {};
    if (track_ && options_.record_locations) d.locations = std::move(locations_);
    if (tags_) d.tags = std::move(tags_);
    return d;
  }

  void check_size(fy_event* e) {
    const fy_mark* end = fy_event_end_mark(e);
    size_t pos = end != nullptr ? end->input_pos : position(e);
    last_end_ = std::max(last_end_, pos);
    if (pos - std::min(pos, doc_start_index_) > options_.limits.max_document_bytes) {
      throw error_at(e,
                     "document is larger than " +
                         std::to_string(options_.limits.max_document_bytes >> 20) + " MiB",
                     "split it into several documents or files");
    }
  }

  void count_nodes(size_t n, fy_event* e) {
    nodes_ += n;
    if (nodes_ > options_.limits.max_nodes) {
      throw error_at(
          e, "document has more than " + std::to_string(options_.limits.max_nodes) + " nodes",
          "split it into several documents");
    }
  }

  // The JSON Pointer the next value will have (tracked mode only).
  std::string child_pointer() const {
    if (stack_.empty()) return "";
    const Frame& f = stack_.back();
    if (f.is_map) return f.pointer + "/" + json_pointer_escape(f.key);
    return f.pointer + "/" + std::to_string(f.value.size());
  }

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().have_key;
  }

  void record(const std::string& pointer, const SourceLocation& where) {
    if (!first_node_location_.known()) first_node_location_ = where;
    if (track_ && options_.record_locations) locations_->emplace(pointer, where);
  }

  // An error located at a token (a tag, an anchor) rather than its node,
  // which for a block scalar starts lines later.
  Error error_at_token(fy_token* token, fy_event* e, std::string message, std::string hint) {
    const fy_mark* m = token != nullptr ? fy_token_start_mark(token) : nullptr;
    if (m == nullptr) return error_at(e, std::move(message), std::move(hint));
    return error_at(SourceLocation{file_, m->line + 1, m->column + 1}, std::move(message),
                    std::move(hint), m->input_pos);
  }

  // Handles a tag on a node. Returns the core tag suffix ("str", "int", ...),
  // "!" for the non-specific tag, or "" when the node has no core tag.
  std::string handle_tag(fy_token* tag_token, fy_event* e, const std::string& pointer) {
    if (tag_token == nullptr) return {};
    std::string tag(token_text(tag_token));
    if (tag == "!") return "!";
    if (tag.starts_with(kCoreTagPrefix)) {
      std::string suffix = tag.substr(kCoreTagPrefix.size());
      if (suffix == "str" || suffix == "int" || suffix == "float" || suffix == "bool" ||
          suffix == "null" || suffix == "map" || suffix == "seq") {
        return suffix;
      }
      throw error_at_token(
          tag_token, e, "unsupported YAML tag '!!" + suffix + "'",
          "kix reads the YAML 1.2 core schema (str, int, float, bool, null, map, seq)");
    }
    if (!options_.allow_custom_tags) {
      throw error_at_token(tag_token, e, "unknown YAML tag '" + tag + "'",
                           "Kubernetes manifests use no tags; remove it");
    }
    if (!tags_) tags_ = std::make_shared<std::unordered_map<std::string, std::string>>();
    tags_->emplace(pointer, tag);
    return {};
  }

  // `previous_end` is where the token before this scalar ended.
  void on_scalar(fy_event* e, size_t previous_end) {
    const fy_event_scalar_data& s = e->scalar;
    std::string block_text;
    std::string_view text = scalar_text(e, previous_end, block_text);
    SourceLocation where = node_location(e, s.anchor, s.tag, s.value);
    count_nodes(1, e);
    bool plain = s.value == nullptr || fy_token_scalar_style(s.value) == FYSS_PLAIN;
    if (expecting_key()) {
      if (s.tag != nullptr) {
        std::string tag(token_text(s.tag));
        if (tag != "!" && tag != std::string(kCoreTagPrefix) + "str") {
          throw error_at_token(s.tag, e, "tagged mapping keys are not supported", "remove the tag");
        }
      }
      // JSON keys are strings, and kix reads a key as its text; a key YAML
      // reads as null (empty, ~, null) has no text to keep.
      if (plain && s.tag == nullptr && resolve_core_scalar(text).kind == ScalarKind::kNull) {
        throw error_at(e,
                       text.empty() ? "a mapping key is empty"
                                    : "the mapping key " + shown(text) + " reads as null",
                       "write the key as a string, e.g. \"" + std::string(text) + "\"");
      }
      set_key(std::string(text), where, e, plain && s.tag == nullptr && text == "<<");
      if (s.anchor != nullptr)
        anchors_[std::string(token_text(s.anchor))] = {Json(std::string(text)), 1};
      return;
    }
    std::string pointer = track_ ? child_pointer() : std::string();
    std::string core_tag = handle_tag(s.tag, e, pointer);
    Json value;
    if (core_tag.empty() && plain) {
      value = resolve_plain(text, e);
    } else if (core_tag.empty() || core_tag == "!" || core_tag == "str") {
      value = std::string(text);
    } else {
      value = resolve_tagged(core_tag, text, e);
    }
    if (s.anchor != nullptr) anchors_[std::string(token_text(s.anchor))] = {value, 1};
    if (stack_.size() == 1 && stack_.back().is_map && stack_.back().key == "kind" &&
        value.is_string()) {
      const std::string& kind = value.get_ref<const std::string&>();
      top_kind_known_ = true;
      top_kind_is_list_ = kind.ends_with("List");
      if (is_secret_kind(kind)) in_secret_ = true;
    }
    record(pointer, where);
    attach(std::move(value), e);
  }

  // The scalar's value. Quoted and block scalars are read from the source
  // (into `storage` when they differ from it; manifest/quoted_scalar.h and
  // block_scalar.h say why); a plain scalar is libfyaml's text.
  std::string_view scalar_text(fy_event* e, size_t previous_end, std::string& storage) {
    const fy_event_scalar_data& s = e->scalar;
    if (s.value == nullptr) return {};
    fy_scalar_style style = fy_token_scalar_style(s.value);
    if (style == FYSS_PLAIN || style == FYSS_ANY) return token_text(s.value);
    const fy_mark* start = fy_token_start_mark(s.value);
    const fy_mark* end = fy_token_end_mark(s.value);
    std::string_view t = source_.text();
    size_t base = source_.base();
    if (style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) {
      if (start == nullptr || end == nullptr || start->input_pos < base ||
          start->input_pos > end->input_pos || end->input_pos - base > t.size()) {
        throw error_at(e, "cannot find the text of this quoted string in the input",
                       "check the quotes around this line");
      }
      std::string_view raw = t.substr(start->input_pos - base, end->input_pos - start->input_pos);
      bool single = style == FYSS_SINGLE_QUOTED;
      if (raw.find_first_of(single ? "'\r\n" : "\\\r\n") == std::string_view::npos) return raw;
      if (single) {
        storage = read_single_quoted(raw);
        return storage;
      }
      QuotedScalarValue read = read_double_quoted(raw);
      if (!read.problem.empty()) {
        throw error_at(e, "invalid YAML: " + read.problem,
                       "escape a backslash as \"\\\\\", or use single quotes");
      }
      storage = std::move(read.value);
      return storage;
    }
    // The header lies between the token before the scalar (or its tag or
    // anchor) and the content.
    size_t from = previous_end;
    for (fy_token* property : {s.tag, s.anchor}) {
      if (property == nullptr) continue;
      if (const fy_mark* m = fy_token_end_mark(property)) from = std::max(from, m->input_pos);
    }
    std::optional<BlockScalarHeader> header;
    if (start != nullptr && end != nullptr && from >= base && from <= start->input_pos &&
        start->input_pos <= end->input_pos && end->input_pos - base <= t.size()) {
      header = find_block_scalar_header(t.substr(from - base, start->input_pos - from));
    }
    if (!header) {
      throw error_at(e, "cannot find the header (\"|\" or \">\") of this block scalar",
                     "write the block scalar as \"key: |\" followed by its indented lines");
    }
    int parent_indent = stack_.empty() ? -1 : stack_.back().column;
    BlockScalarValue read = read_block_scalar(
        *header, t.substr(start->input_pos - base, end->input_pos - start->input_pos),
        parent_indent, t.substr(end->input_pos - base));
    if (!read.problem.empty()) {
      throw error_at(e, "invalid YAML: " + read.problem, read.hint);
    }
    storage = std::move(read.value);
    return storage;
  }

  Json resolve_plain(std::string_view text, fy_event* e) {
    SourceLocation where = location(e);
    ScalarResolution r = resolve_core_scalar(text);
    switch (r.kind) {
      case ScalarKind::kString:
        if (r.yaml11_bool) {
          diags_.warn(
              where,
              shown(text) +
                  " is read as a string; YAML 1.1 tools (kubectl, Helm) read it as a boolean",
              may_hold_secret()
                  ? "quote it if you mean the string"
                  : "quote it (\"" + std::string(text) + "\") if you mean the string, or write " +
                        (r.yaml11_bool_value ? "true" : "false") + " for the boolean");
        }
        return std::string(text);
      case ScalarKind::kNull:
        return nullptr;
      case ScalarKind::kBool:
        return r.bool_value;
      case ScalarKind::kInt:
        if (r.yaml11_octal && may_hold_secret()) {
          diags_.warn(where,
                      "a value with a leading zero is read as a decimal integer; YAML 1.1 tools "
                      "(kubectl, Helm) read it as octal",
                      "quote it, or drop the leading zero");
        } else if (r.yaml11_octal) {
          diags_.warn(
              where,
              "'" + std::string(text) + "' is read as the decimal integer " +
                  std::to_string(r.int_value) +
                  "; YAML 1.1 tools (kubectl, Helm) read a leading 0 as octal (" +
                  std::to_string(r.octal_value) + ")",
              "write " + std::to_string(r.octal_value) + " or 0o" +
                  std::string(text.substr(text.find_first_not_of("+-0") == std::string_view::npos
                                              ? text.size()
                                              : text.find_first_not_of("+-0"))) +
                  " for the octal value, or drop the leading zero");
        }
        return r.int_value;
      case ScalarKind::kFloat:
        return r.float_value;
      case ScalarKind::kIntTooLarge:
        throw error_at(
            e,
            (may_hold_secret() ? std::string("an integer") : "integer " + std::string(text)) +
                " cannot be represented exactly in canonical JSON (beyond ±2^53)",
            "RFC 8785 numbers are IEEE-754 doubles; quote the value to make it a string");
      case ScalarKind::kNonFinite:
        throw error_at(e, shown(text) + " (NaN or infinity) has no JSON form",
                       "quote the value to make it a string");
    }
    return std::string(text);
  }

  Json resolve_tagged(const std::string& tag, std::string_view text, fy_event* e) {
    ScalarResolution r = resolve_core_scalar(text);
    if (tag == "null" && r.kind == ScalarKind::kNull) return nullptr;
    if (tag == "bool" && r.kind == ScalarKind::kBool) return r.bool_value;
    if (tag == "int" && r.kind == ScalarKind::kInt) return r.int_value;
    if (tag == "float" && (r.kind == ScalarKind::kFloat || r.kind == ScalarKind::kInt)) {
      return r.kind == ScalarKind::kInt ? static_cast<double>(r.int_value) : r.float_value;
    }
    if (r.kind == ScalarKind::kIntTooLarge || r.kind == ScalarKind::kNonFinite) {
      return resolve_plain(text, e);  // throws the specific error
    }
    throw error_at(e, shown(text) + " is not a valid !!" + tag, "remove the tag or fix the value");
  }

  void set_key(std::string key, const SourceLocation& where, fy_event* e, bool merge = false) {
    Frame& f = stack_.back();
    if (merge) {
      f.merge_key = true;
      f.have_key = true;
      f.key = "<<";
      f.key_location = where;
      return;
    }
    if (f.value.contains(key)) {
      if (!track_) throw DuplicateKeyRetry{};
      std::string hint = "a mapping may hold each key once; remove or rename one of them";
      if (auto it = key_locations_.find(f.pointer + "/" + json_pointer_escape(key));
          it != key_locations_.end()) {
        hint = "'" + key + "' is first defined at line " + std::to_string(it->second.line) +
               "; a mapping may hold each key once: remove or rename one of them";
      }
      throw error_at(e, "duplicate key '" + key + "'", hint);
    }
    if (track_) key_locations_.emplace(f.pointer + "/" + json_pointer_escape(key), where);
    f.key = std::move(key);
    f.key_location = where;
    f.have_key = true;
  }

  void on_alias(fy_event* e) {
    std::string name(token_text(e->alias.anchor));
    SourceLocation where = location(e);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      throw error_at(e, "unknown alias '*" + name + "'", "define the anchor '&" + name + "' first");
    }
    alias_nodes_ += it->second.nodes;
    if (alias_nodes_ > options_.limits.max_alias_expansion) {
      throw error_at(e,
                     "aliases expand to more than " +
                         std::to_string(options_.limits.max_alias_expansion) +
                         " nodes (a YAML alias bomb?)",
                     "write the repeated content out, or use fewer nested aliases");
    }
    count_nodes(it->second.nodes, e);
    if (expecting_key()) {
      if (!it->second.value.is_string()) {
        throw error_at(e, "an alias used as a mapping key must name a string", "");
      }
      set_key(it->second.value.get<std::string>(), where, e);
      return;
    }
    std::string pointer = track_ ? child_pointer() : std::string();
    record(pointer, where);
    attach(Json(it->second.value), e);
  }

  void on_container_start(fy_event* e) {
    SourceLocation where =
        e->type == FYET_MAPPING_START
            ? node_location(e, e->mapping_start.anchor, e->mapping_start.tag, nullptr)
            : node_location(e, e->sequence_start.anchor, e->sequence_start.tag, nullptr);
    if (expecting_key()) {
      throw error_at(e, "complex mapping keys (a map or list as a key) are not supported",
                     "use a string key");
    }
    if (stack_.size() >= options_.limits.max_depth) {
      throw error_at(
          e, "nesting is deeper than " + std::to_string(options_.limits.max_depth) + " levels",
          "flatten the structure");
    }
    count_nodes(1, e);
    bool is_map = e->type == FYET_MAPPING_START;
    fy_token* tag = is_map ? e->mapping_start.tag : e->sequence_start.tag;
    fy_token* anchor = is_map ? e->mapping_start.anchor : e->sequence_start.anchor;
    std::string pointer = track_ ? child_pointer() : std::string();
    std::string core = handle_tag(tag, e, pointer);
    if (!core.empty() && core != "!" && core != (is_map ? "map" : "seq")) {
      throw error_at(e, "a " + std::string(is_map ? "mapping" : "sequence") +
                            " cannot carry the tag !!" + core);
    }
    // A map or list under a key is located at its key: "immich:" is where a
    // reader looks for the instance, not at its first field a line below.
    bool under_key = !stack_.empty() && stack_.back().is_map;
    record(pointer, under_key ? stack_.back().key_location : where);
    Frame f;
    f.value = is_map ? Json::object() : Json::array();
    f.is_map = is_map;
    f.pointer = std::move(pointer);
    if (anchor != nullptr) f.anchor = std::string(token_text(anchor));
    if (fy_token* token = fy_event_get_token(e)) {
      if (const fy_mark* m = fy_token_start_mark(token)) f.column = m->column;
    }
    f.nodes_at_start = nodes_;
    stack_.push_back(std::move(f));
  }

  void on_container_end() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    // `<<` merges: keys the mapping sets itself win, whatever their order.
    for (auto& [key, value] : f.merged.items()) {
      if (!f.value.contains(key)) f.value[key] = std::move(value);
    }
    if (!f.anchor.empty()) anchors_[f.anchor] = {f.value, nodes_ - f.nodes_at_start + 1};
    attach(std::move(f.value), nullptr);
  }

  // The value of a `<<` key: a mapping, or a list of mappings (earlier ones
  // win), as YAML 1.1's merge type and kubectl define it.
  void merge_into(Frame& f, const Json& value, fy_event* e) {
    auto merge_one = [&](const Json& m) {
      for (const auto& [key, v] : m.items()) {
        if (!f.merged.contains(key)) f.merged[key] = v;
      }
    };
    if (value.is_object()) {
      merge_one(value);
      return;
    }
    if (value.is_array() &&
        std::all_of(value.begin(), value.end(), [](const Json& m) { return m.is_object(); })) {
      for (const Json& m : value) merge_one(m);
      return;
    }
    throw error_at(f.key_location, "the merge key '<<' needs a mapping or a list of mappings",
                   "write the keys out, or quote '<<' to use it as an ordinary key",
                   e != nullptr ? std::optional<size_t>(position(e)) : std::nullopt);
  }

  void attach(Json value, fy_event* e) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.is_map) {
      if (parent.merge_key) {
        merge_into(parent, value, e);
        parent.merge_key = false;
      } else {
        parent.value.get_ref<Json::object_t&>().emplace(std::move(parent.key), std::move(value));
      }
      parent.key.clear();
      parent.have_key = false;
    } else {
      parent.value.get_ref<Json::array_t&>().push_back(std::move(value));
    }
  }

  Source& source_;
  const std::string& file_;
  Diagnostics& diags_;
  const ParseOptions& options_;
  bool track_;

  std::vector<Frame> stack_;
  std::unordered_map<std::string, Anchor> anchors_;
  std::unordered_map<std::string, SourceLocation> key_locations_;
  std::shared_ptr<LocationIndex> locations_;
  std::shared_ptr<std::unordered_map<std::string, std::string>> tags_;
  Json root_;
  size_t doc_start_index_ = 0;
  size_t last_end_ = 0;
  SourceLocation doc_location_;
  SourceLocation first_node_location_;
  SourceLocation last_location_{file_, 1, 1};
  size_t nodes_ = 0;
  size_t alias_nodes_ = 0;
  bool in_secret_ = false;  // this document is a Secret (seen `kind: Secret` at its top)
  bool top_kind_known_ = false;
  bool top_kind_is_list_ = false;
};

std::vector<Document> build(Source& source, const std::string& file, Diagnostics& diags,
                            const ParseOptions& options, bool track) {
  Diagnostics local;
  auto docs = YamlBuilder(source, file, local, options, track).run();
  for (const auto& d : local.items()) diags.warn(d.where, d.message, d.hint);
  return docs;
}

}  // namespace

std::vector<Document> parse_yaml(std::string_view text, const std::string& file, Diagnostics& diags,
                                 const ParseOptions& options) {
  if (auto bad = first_invalid_utf8(text, true)) {
    // Located, but the line is not quoted: it is not text.
    int line = 1, column = 1;
    for (size_t i = 0; i < *bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    unsigned char c = static_cast<unsigned char>(text[*bad]);
    bool control = c < 0x20 || c == 0x7F || (c == 0xC2 && *bad + 1 < text.size());
    throw Error(
        ErrorKind::kInvalidInput,
        control && first_invalid_utf8(text.substr(*bad, 4)) != 0
            ? "invalid YAML: a control character YAML does not allow, at byte " +
                  std::to_string(*bad)
            : "invalid YAML: an invalid UTF-8 byte sequence at byte " + std::to_string(*bad),
        SourceLocation{file, line, column},
        "the input must be UTF-8 text; write control characters as escapes "
        "(\"\\u0000\") inside double quotes");
  }
  bool track = options.record_locations || options.allow_custom_tags;
  if (!track) {
    // The fast path keeps no locations; a duplicate key (rare) repeats the
    // parse with tracking so the error can point at both occurrences.
    try {
      Source source(text);
      return build(source, file, diags, options, false);
    } catch (const DuplicateKeyRetry&) {
    }
  }
  Source source(text);
  return build(source, file, diags, options, true);
}

std::vector<Document> parse_yaml_stream(int fd, std::string prefix, const std::string& file,
                                        Diagnostics& diags, const ParseOptions& options) {
  // A stream cannot be read twice: locations are tracked from the start.
  Source source(fd, std::move(prefix), file, options.limits);
  return build(source, file, diags, options, true);
}

}  // namespace kix
