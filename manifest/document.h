// Reading YAML and JSON text into JSON values, with the source locations
// that diagnostics need and the limits that keep hostile input harmless.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "manifest/canonical_json.h"
#include "util/diagnostics.h"
#include "util/error.h"

namespace kix {

// Limits on a single input; exceeding one is a clear kInvalidInput error.
struct ParseLimits {
  size_t max_input_bytes = 256u << 20;    // one file, or stdin, as a whole
  size_t max_depth = 128;                 // nesting of maps and lists
  size_t max_document_bytes = 32u << 20;  // one document's source text
  size_t max_documents = 100000;          // documents in one input
  size_t max_alias_expansion = 1u << 20;  // nodes produced through aliases
  size_t max_nodes = 4u << 20;            // nodes in one document
};

struct ParseOptions {
  ParseLimits limits;
  // Record the location of every node (by JSON Pointer). The compiler wants
  // this for its diagnostics; the ingest hot path does not.
  bool record_locations = false;
  // Keep YAML tags other than the core schema's (`!default`, `!force`) in
  // Document::tags instead of rejecting them.
  bool allow_custom_tags = false;
};

// Where each node of a document came from, keyed by RFC 6901 JSON Pointer
// ("" is the document itself, "/metadata/name" a field).
using LocationIndex = std::unordered_map<std::string, SourceLocation>;

struct Document {
  Json value;                                      // null for an empty document
  SourceLocation location;                         // where the document starts
  std::shared_ptr<const LocationIndex> locations;  // set with record_locations
  std::shared_ptr<const std::unordered_map<std::string, std::string>> tags;  // custom tags

  // Location of the node at `pointer`, falling back to its nearest recorded
  // ancestor and then to the document's start.
  SourceLocation locate(const std::string& pointer) const;
};

// Parses a YAML stream (YAML 1.2 core schema; duplicate keys are errors;
// plain yes/no/on/off produce a warning; `<<` merge keys are merged as
// kubectl does). `file` is used for locations only.
std::vector<Document> parse_yaml(std::string_view text, const std::string& file, Diagnostics& diags,
                                 const ParseOptions& options = {});

// parse_yaml of what file descriptor `fd` (not owned) yields after
// `prefix`, read as the parser needs it: a stream stops at its first error
// and is held in memory one document at a time. More than
// limits.max_input_bytes in all, or a document beyond
// limits.max_document_bytes, is an error (kInvalidInput); a failed read is
// kIo.
std::vector<Document> parse_yaml_stream(int fd, std::string prefix, const std::string& file,
                                        Diagnostics& diags, const ParseOptions& options = {});

// Parses one JSON text (duplicate keys are errors).
std::vector<Document> parse_json(std::string_view text, const std::string& file, Diagnostics& diags,
                                 const ParseOptions& options = {});

// JSON when the first non-blank character is '{' or '[', YAML otherwise.
std::vector<Document> parse_any(std::string_view text, const std::string& file, Diagnostics& diags,
                                const ParseOptions& options = {});

// Reads and parses a file, or stdin ("-"), as parse_any would: JSON when
// the name ends in .json or the first character (after a UTF-8 byte order
// mark and white space) is '{' or '[', YAML otherwise. A regular file is
// read whole (refused beyond limits.max_input_bytes before it is read);
// stdin and other streams are parsed as they are read (parse_yaml_stream).
// Throws kNotFound for a missing path, kIo when reading fails,
// kInvalidInput for what the readers refuse.
std::vector<Document> parse_input(const std::string& path, Diagnostics& diags,
                                  const ParseOptions& options = {});

// Reads a whole file or stdin ("-"), refusing more than `max_bytes`
// (kInvalidInput) without reading beyond it. Throws kNotFound / kIo.
std::string read_input(const std::string& path, size_t max_bytes = ParseLimits{}.max_input_bytes);

// Escapes a key for use in a JSON Pointer ("~" -> "~0", "/" -> "~1").
std::string json_pointer_escape(std::string_view key);

}  // namespace kix
