// Values of the package language: JSON data that remembers which emitted
// resources it was derived from (its provenance). Provenance is what turns
// `postgres.out.fqdn` inside a Deployment into a Merkle edge.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix::compiler {

// The emitted resources (indices into the compilation's resource list) that
// a value was derived from: sorted and unique.
using Provenance = std::vector<size_t>;

// Adds every index of `from` to `into`, keeping it sorted and unique.
void merge_provenance(Provenance& into, const Provenance& from);

// Provenance of the parts of a structured value, keyed like the JSON
// (object key, or decimal index for arrays). A part's provenance is its own
// set plus every set on the path to it.
struct ProvenanceTree {
  Provenance self;
  std::map<std::string, ProvenanceTree> children;

  bool empty() const { return self.empty() && children.empty(); }
  // self plus every set below.
  Provenance all() const;
};

struct Value {
  Json json;
  Provenance prov;                              // applies to the whole value
  std::shared_ptr<const ProvenanceTree> parts;  // finer provenance, may be null

  Value() = default;
  explicit Value(Json j, Provenance p = {}) : json(std::move(j)), prov(std::move(p)) {}

  // Everything this value (and any part of it) was derived from: what a
  // resource depends on when the whole value is written into it.
  Provenance all() const;
  // The part under `key` (an object key or array index) with the
  // provenance of the path to it. The caller checks that the part exists.
  Value child(const std::string& key, const Json& part) const;
};

// "object", "list", "string", "integer", "number", "boolean", "null".
std::string type_name(const Json& j);
// The type name with its article: "a string", "an integer", "a list".
std::string a_type(const Json& j);

}  // namespace kix::compiler
