#include "compiler/value.h"

#include <algorithm>

namespace kix::compiler {

void merge_provenance(Provenance& into, const Provenance& from) {
  if (from.empty()) return;
  if (into.empty()) {
    into = from;
    return;
  }
  Provenance merged;
  merged.reserve(into.size() + from.size());
  std::set_union(into.begin(), into.end(), from.begin(), from.end(), std::back_inserter(merged));
  into = std::move(merged);
}

Provenance ProvenanceTree::all() const {
  Provenance out = self;
  for (const auto& [key, child] : children) merge_provenance(out, child.all());
  return out;
}

Provenance Value::all() const {
  Provenance out = prov;
  if (parts) merge_provenance(out, parts->all());
  return out;
}

Value Value::child(const std::string& key, const Json& part) const {
  Value v(part, prov);
  if (parts) {
    auto it = parts->children.find(key);
    if (it != parts->children.end()) {
      merge_provenance(v.prov, it->second.self);
      // Aliasing constructor: the child tree lives as long as the parent's.
      if (!it->second.children.empty())
        v.parts = std::shared_ptr<const ProvenanceTree>(parts, &it->second);
    }
  }
  return v;
}

std::string type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "list";
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "value";
  }
}

std::string a_type(const Json& j) {
  std::string t = type_name(j);
  return (t == "integer" || t == "object" ? "an " : "a ") + t;
}

}  // namespace kix::compiler
