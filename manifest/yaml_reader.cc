// YAML streams into JSON values with libyaml's event parser: the YAML 1.2
// core schema, duplicate keys rejected, YAML 1.1 surprises warned about,
// and limits that keep alias bombs and deep nesting harmless.
#include <yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <unordered_map>

#include "manifest/document.h"
#include "manifest/scalar_resolver.h"
#include "manifest/secrets.h"

namespace kix {

namespace {

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

// Thrown in fast mode when a duplicate key is seen: the parse is repeated
// with locations recorded so the error can name both occurrences.
struct DuplicateKeyRetry {};

SourceLocation at(const std::string& file, const yaml_mark_t& mark) {
  return {file, static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

class EventParser {
 public:
  EventParser(std::string_view text) {
    if (yaml_parser_initialize(&parser_) == 0) {
      throw Error(ErrorKind::kInternal, "cannot initialize the YAML parser (out of memory?)");
    }
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    yaml_parser_set_encoding(&parser_, YAML_UTF8_ENCODING);
  }
  ~EventParser() { yaml_parser_delete(&parser_); }
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_;
};

class Event {
 public:
  Event() = default;
  ~Event() {
    if (valid_) yaml_event_delete(&event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Returns false on a parse error (the parser holds the problem).
  bool next(yaml_parser_t* parser) {
    if (valid_) yaml_event_delete(&event_);
    valid_ = yaml_parser_parse(parser, &event_) != 0;
    return valid_;
  }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }

 private:
  yaml_event_t event_{};
  bool valid_ = false;
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
  std::string key;
  SourceLocation key_location;
  std::string pointer;  // JSON Pointer of this container (tracked mode only)
  std::string anchor;
  size_t nodes_at_start = 0;
};

class YamlBuilder {
 public:
  YamlBuilder(std::string_view text, const std::string& file, Diagnostics& diags,
              const ParseOptions& options, bool track)
      : text_(text), file_(file), diags_(diags), options_(options), track_(track) {}

  std::vector<Document> run() {
    EventParser parser(text_);
    Event ev;
    std::vector<Document> docs;
    for (;;) {
      if (!ev.next(parser.get())) throw syntax_error(parser.get());
      switch (ev->type) {
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT:
          break;
        case YAML_STREAM_END_EVENT:
          return docs;
        case YAML_DOCUMENT_START_EVENT:
          if (docs.size() >= options_.limits.max_documents) {
            throw Error(ErrorKind::kInvalidInput,
                        "too many documents (more than " +
                            std::to_string(options_.limits.max_documents) + ")",
                        at(file_, ev->start_mark), "split the input into several files");
          }
          begin_document(ev->start_mark);
          break;
        case YAML_DOCUMENT_END_EVENT:
          docs.push_back(finish_document());
          break;
        case YAML_SCALAR_EVENT:
          check_size(ev->start_mark);
          on_scalar(*ev);
          break;
        case YAML_ALIAS_EVENT:
          check_size(ev->start_mark);
          on_alias(*ev);
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          check_size(ev->start_mark);
          on_container_start(*ev);
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          on_container_end();
          break;
      }
    }
  }

 private:
  Error error_at(const SourceLocation& where, std::string message, std::string hint = {}) const {
    Error e(ErrorKind::kInvalidInput, std::move(message), where, std::move(hint));
    // Inside a Secret the offending line may hold a secret value: name the
    // place, never quote it.
    if (!in_secret_) e.with_source_line(line_of(text_, where.line));
    return e;
  }

  // The scalar as a message may show it: never a Secret's value.
  std::string shown(std::string_view text) const {
    return in_secret_ ? std::string("a value") : "'" + std::string(text) + "'";
  }

  Error syntax_error(yaml_parser_t* p) const {
    std::string message = "invalid YAML: ";
    message += p->problem != nullptr ? p->problem : "unknown problem";
    if (p->context != nullptr) message += std::string(" ") + p->context;
    SourceLocation where = at(file_, p->problem_mark);
    if (p->error == YAML_READER_ERROR) {
      // Reader errors (bad UTF-8) carry a byte offset rather than a mark.
      where = location_of_offset(p->problem_offset);
      message = std::string("invalid YAML: ") + (p->problem ? p->problem : "unreadable input") +
                " at byte " + std::to_string(p->problem_offset);
      return error_at(where, message, "the input must be UTF-8 text");
    }
    return error_at(where, message,
                    "check the indentation and quoting on this line and the one before it");
  }

  SourceLocation location_of_offset(size_t offset) const {
    int line = 1, col = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {file_, line, col};
  }

  void begin_document(const yaml_mark_t& mark) {
    doc_start_index_ = mark.index;
    doc_location_ = at(file_, mark);
    stack_.clear();
    anchors_.clear();
    key_locations_.clear();
    in_secret_ = false;
    nodes_ = 0;
    alias_nodes_ = 0;
    have_root_ = false;
    root_ = Json();
    if (track_) locations_ = std::make_shared<LocationIndex>();
    tags_.reset();
  }

  Document finish_document() {
    Document d;
    d.value = std::move(root_);
    d.location = first_node_location_.known() ? first_node_location_ : doc_location_;
    first_node_location_ = {};
    if (track_ && options_.record_locations) d.locations = std::move(locations_);
    if (tags_) d.tags = std::move(tags_);
    return d;
  }

  void check_size(const yaml_mark_t& mark) {
    if (mark.index - doc_start_index_ > options_.limits.max_document_bytes) {
      throw error_at(at(file_, mark),
                     "document is larger than " +
                         std::to_string(options_.limits.max_document_bytes >> 20) + " MiB",
                     "split it into several documents or files");
    }
  }

  void count_nodes(size_t n, const yaml_mark_t& mark) {
    nodes_ += n;
    if (nodes_ > options_.limits.max_nodes) {
      throw error_at(
          at(file_, mark),
          "document has more than " + std::to_string(options_.limits.max_nodes) + " nodes",
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

  // Handles a tag on a node. Returns the core tag suffix ("str", "int", ...)
  // or "" when the node has no core tag.
  std::string handle_tag(const unsigned char* tag_ptr, const yaml_mark_t& mark,
                         const std::string& pointer) {
    if (tag_ptr == nullptr) return {};
    std::string tag(reinterpret_cast<const char*>(tag_ptr));
    if (tag == "!") return "!";
    if (tag.starts_with(kCoreTagPrefix)) {
      std::string suffix = tag.substr(kCoreTagPrefix.size());
      if (suffix == "str" || suffix == "int" || suffix == "float" || suffix == "bool" ||
          suffix == "null" || suffix == "map" || suffix == "seq") {
        return suffix;
      }
      throw error_at(at(file_, mark), "unsupported YAML tag '!!" + suffix + "'",
                     "kix reads the YAML 1.2 core schema (str, int, float, bool, null, map, seq)");
    }
    if (!options_.allow_custom_tags) {
      throw error_at(at(file_, mark), "unknown YAML tag '" + tag + "'",
                     "Kubernetes manifests use no tags; remove it");
    }
    if (!tags_) tags_ = std::make_shared<std::unordered_map<std::string, std::string>>();
    tags_->emplace(pointer, tag);
    return {};
  }

  void on_scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
    SourceLocation where = at(file_, e.start_mark);
    count_nodes(1, e.start_mark);
    if (expecting_key()) {
      if (s.tag != nullptr) {
        std::string tag(reinterpret_cast<const char*>(s.tag));
        if (tag != "!" && tag != std::string(kCoreTagPrefix) + "str") {
          throw error_at(where, "tagged mapping keys are not supported", "remove the tag");
        }
      }
      set_key(std::string(text), where);
      if (s.anchor != nullptr) {
        anchors_[reinterpret_cast<const char*>(s.anchor)] = {Json(std::string(text)), 1};
      }
      return;
    }
    std::string pointer = track_ ? child_pointer() : std::string();
    std::string core_tag = handle_tag(s.tag, e.start_mark, pointer);
    Json value;
    bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    if (core_tag.empty() && plain) {
      value = resolve_plain(text, where);
    } else if (core_tag.empty() || core_tag == "!" || core_tag == "str") {
      value = std::string(text);
    } else {
      value = resolve_tagged(core_tag, text, where);
    }
    if (s.anchor != nullptr) anchors_[reinterpret_cast<const char*>(s.anchor)] = {value, 1};
    if (stack_.size() == 1 && stack_.back().is_map && stack_.back().key == "kind" &&
        value.is_string() && is_secret_kind(value.get_ref<const std::string&>())) {
      in_secret_ = true;
    }
    record(pointer, where);
    attach(std::move(value), where);
  }

  Json resolve_plain(std::string_view text, const SourceLocation& where) {
    ScalarResolution r = resolve_core_scalar(text);
    switch (r.kind) {
      case ScalarKind::kString:
        if (r.yaml11_bool) {
          diags_.warn(
              where,
              shown(text) +
                  " is read as a string; YAML 1.1 tools (kubectl, Helm) read it as a boolean",
              in_secret_
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
        if (r.yaml11_octal && in_secret_) {
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
            where,
            (in_secret_ ? std::string("an integer") : "integer " + std::string(text)) +
                " cannot be represented exactly in canonical JSON (beyond ±2^53)",
            "RFC 8785 numbers are IEEE-754 doubles; quote the value to make it a string");
      case ScalarKind::kNonFinite:
        throw error_at(where, shown(text) + " (NaN or infinity) has no JSON form",
                       "quote the value to make it a string");
    }
    return std::string(text);
  }

  Json resolve_tagged(const std::string& tag, std::string_view text, const SourceLocation& where) {
    ScalarResolution r = resolve_core_scalar(text);
    if (tag == "null" && r.kind == ScalarKind::kNull) return nullptr;
    if (tag == "bool" && r.kind == ScalarKind::kBool) return r.bool_value;
    if (tag == "int" && r.kind == ScalarKind::kInt) return r.int_value;
    if (tag == "float" && (r.kind == ScalarKind::kFloat || r.kind == ScalarKind::kInt)) {
      return r.kind == ScalarKind::kInt ? static_cast<double>(r.int_value) : r.float_value;
    }
    if (r.kind == ScalarKind::kIntTooLarge || r.kind == ScalarKind::kNonFinite) {
      return resolve_plain(text, where);  // throws the specific error
    }
    throw error_at(where, shown(text) + " is not a valid !!" + tag,
                   "remove the tag or fix the value");
  }

  void set_key(std::string key, const SourceLocation& where) {
    Frame& f = stack_.back();
    if (f.value.contains(key)) {
      if (!track_) throw DuplicateKeyRetry{};
      std::string hint = "a mapping may hold each key once; remove or rename one of them";
      if (auto it = key_locations_.find(f.pointer + "/" + json_pointer_escape(key));
          it != key_locations_.end()) {
        hint = "'" + key + "' is first defined at line " + std::to_string(it->second.line) +
               "; a mapping may hold each key once: remove or rename one of them";
      }
      throw error_at(where, "duplicate key '" + key + "'", hint);
    }
    if (track_) key_locations_.emplace(f.pointer + "/" + json_pointer_escape(key), where);
    f.key = std::move(key);
    f.key_location = where;
    f.have_key = true;
  }

  void on_alias(const yaml_event_t& e) {
    std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
    SourceLocation where = at(file_, e.start_mark);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      throw error_at(where, "unknown alias '*" + name + "'",
                     "define the anchor '&" + name + "' first");
    }
    alias_nodes_ += it->second.nodes;
    if (alias_nodes_ > options_.limits.max_alias_expansion) {
      throw error_at(where,
                     "aliases expand to more than " +
                         std::to_string(options_.limits.max_alias_expansion) +
                         " nodes (a YAML alias bomb?)",
                     "write the repeated content out, or use fewer nested aliases");
    }
    count_nodes(it->second.nodes, e.start_mark);
    if (expecting_key()) {
      if (!it->second.value.is_string()) {
        throw error_at(where, "an alias used as a mapping key must name a string", "");
      }
      set_key(it->second.value.get<std::string>(), where);
      return;
    }
    std::string pointer = track_ ? child_pointer() : std::string();
    record(pointer, where);
    attach(Json(it->second.value), where);
  }

  void on_container_start(const yaml_event_t& e) {
    SourceLocation where = at(file_, e.start_mark);
    if (expecting_key()) {
      throw error_at(where, "complex mapping keys (a map or list as a key) are not supported",
                     "use a string key");
    }
    if (stack_.size() >= options_.limits.max_depth) {
      throw error_at(
          where, "nesting is deeper than " + std::to_string(options_.limits.max_depth) + " levels",
          "flatten the structure");
    }
    count_nodes(1, e.start_mark);
    bool is_map = e.type == YAML_MAPPING_START_EVENT;
    const unsigned char* tag = is_map ? e.data.mapping_start.tag : e.data.sequence_start.tag;
    const unsigned char* anchor =
        is_map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
    std::string pointer = track_ ? child_pointer() : std::string();
    std::string core = handle_tag(tag, e.start_mark, pointer);
    if (!core.empty() && core != "!" && core != (is_map ? "map" : "seq")) {
      throw error_at(where, "a " + std::string(is_map ? "mapping" : "sequence") +
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
    if (anchor != nullptr) f.anchor = reinterpret_cast<const char*>(anchor);
    f.nodes_at_start = nodes_;
    stack_.push_back(std::move(f));
  }

  void on_container_end() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (!f.anchor.empty()) anchors_[f.anchor] = {f.value, nodes_ - f.nodes_at_start + 1};
    attach(std::move(f.value), {});
  }

  void attach(Json value, const SourceLocation&) {
    if (stack_.empty()) {
      root_ = std::move(value);
      have_root_ = true;
      return;
    }
    Frame& parent = stack_.back();
    if (parent.is_map) {
      parent.value.get_ref<Json::object_t&>().emplace(std::move(parent.key), std::move(value));
      parent.key.clear();
      parent.have_key = false;
    } else {
      parent.value.get_ref<Json::array_t&>().push_back(std::move(value));
    }
  }

  std::string_view text_;
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
  bool have_root_ = false;
  size_t doc_start_index_ = 0;
  SourceLocation doc_location_;
  SourceLocation first_node_location_;
  size_t nodes_ = 0;
  size_t alias_nodes_ = 0;
  bool in_secret_ = false;  // this document is a Secret (seen `kind: Secret` at its top)
};

}  // namespace

std::vector<Document> parse_yaml(std::string_view text, const std::string& file, Diagnostics& diags,
                                 const ParseOptions& options) {
  bool track = options.record_locations || options.allow_custom_tags;
  if (!track) {
    // The fast path keeps no locations; a duplicate key (rare) repeats the
    // parse with tracking so the error can point at both occurrences.
    try {
      Diagnostics local;
      auto docs = YamlBuilder(text, file, local, options, false).run();
      for (const auto& d : local.items()) diags.warn(d.where, d.message, d.hint);
      return docs;
    } catch (const DuplicateKeyRetry&) {
    }
  }
  Diagnostics local;
  auto docs = YamlBuilder(text, file, local, options, true).run();
  for (const auto& d : local.items()) diags.warn(d.where, d.message, d.hint);
  return docs;
}

}  // namespace kix
