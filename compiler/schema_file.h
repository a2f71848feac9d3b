// A kix schema file (schema/README.md) indexed without being parsed: its
// "kinds" table is read, and each entry of "definitions" is found as a span
// of the file's text, to be parsed only when a manifest needs it. The
// Kubernetes file alone is 250 KB of JSON while a build uses a few dozen of
// its definitions; parsing it whole was half of compiling examples/immich.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kix {

struct SchemaFile {
  // The span of one definition's JSON value in `text`.
  struct Span {
    size_t begin = 0;
    size_t end = 0;
  };

  std::filesystem::path path;
  std::string text;
  std::map<std::string, std::string> kinds;               // "apps/v1/Deployment" -> definition name
  std::vector<std::pair<std::string, Span>> definitions;  // in file order

  std::string_view definition_text(const Span& span) const {
    return std::string_view(text).substr(span.begin, span.end - span.begin);
  }
};

// Reads and indexes `path`. The structure is checked (an object with a
// "kinds" object of strings and a "definitions" object, every value
// well-nested and every string terminated); a definition's own JSON is
// checked when it is parsed.
// Throws kix::Error(kIo) when the file cannot be read, kCorruption (naming
// the file and the byte offset) when it is not a kix schema file.
SchemaFile read_schema_file(const std::filesystem::path& path);

// The same, over text already in memory; `path` only names it in errors.
SchemaFile index_schema_text(std::filesystem::path path, std::string text);

}  // namespace kix
