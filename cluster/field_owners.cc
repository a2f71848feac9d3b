#include "cluster/field_owners.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "manifest/json_diff.h"

namespace kix {
namespace {

// One manager's merged FieldsV1 node at the current point of the walk.
struct Owner {
  std::string manager;
  const Json* fields;
};

void merge_fields(Json& into, const Json& from) {
  for (const auto& [key, value] : from.items()) {
    Json& slot = into[key];
    if (!slot.is_object()) slot = Json::object();
    if (value.is_object()) merge_fields(slot, value);
  }
}

// Every manager's FieldsV1 sets of `live_raw`, merged over its entries.
std::map<std::string, Json> fields_by_manager(const Json& live_raw) {
  std::map<std::string, Json> owners;
  if (!live_raw.is_object()) return owners;
  auto metadata = live_raw.find("metadata");
  if (metadata == live_raw.end() || !metadata->is_object()) return owners;
  auto entries = metadata->find("managedFields");
  if (entries == metadata->end() || !entries->is_array()) return owners;
  for (const Json& entry : *entries) {
    if (!entry.is_object()) continue;
    auto manager = entry.find("manager");
    auto fields = entry.find("fieldsV1");
    if (manager == entry.end() || !manager->is_string() || fields == entry.end() ||
        !fields->is_object()) {
      continue;
    }
    Json& merged = owners[manager->get<std::string>()];
    if (!merged.is_object()) merged = Json::object();
    merge_fields(merged, *fields);
  }
  return owners;
}

// What a "k:" or "v:" token names: the key fields of an associative list's
// element, or a set's value; nullopt for other tokens or unreadable ones.
struct ElementToken {
  bool is_set = false;  // "v:": `key` is the element's value
  Json key;
};

std::optional<ElementToken> parse_token(const std::string& token) {
  if (token.size() < 3 || token[1] != ':' || (token[0] != 'k' && token[0] != 'v')) {
    return std::nullopt;
  }
  Json key = Json::parse(token.substr(2), nullptr, /*allow_exceptions=*/false);
  if (key.is_discarded()) return std::nullopt;
  if (token[0] == 'k' && !key.is_object()) return std::nullopt;
  return ElementToken{token[0] == 'v', std::move(key)};
}

// The server default of an associative list's key field that a manifest
// may leave out (ports are keyed by port and protocol).
const Json* key_field_default(const std::string& field) {
  static const Json kTcp = "TCP";
  return field == "protocol" ? &kTcp : nullptr;
}

// `element` has the key `token` names. With `defaults`, a key field the
// element leaves out matches its server default (the desired side).
bool has_key(const Json& element, const ElementToken& token, bool defaults) {
  if (token.is_set) return element == token.key;
  if (!element.is_object()) return false;
  for (const auto& [field, value] : token.key.items()) {
    auto have = element.find(field);
    if (have != element.end()) {
      if (*have != value) return false;
      continue;
    }
    const Json* fallback = defaults ? key_field_default(field) : nullptr;
    if (fallback == nullptr || *fallback != value) return false;
  }
  return true;
}

// The child of `fields` whose token names `element`, with its key.
std::optional<std::pair<const Json*, ElementToken>> owned_entry(const Json* fields,
                                                                const Json& element) {
  if (fields == nullptr || !fields->is_object()) return std::nullopt;
  for (const auto& [token, child] : fields->items()) {
    std::optional<ElementToken> parsed = parse_token(token);
    if (parsed && has_key(element, *parsed, false)) {
      return std::make_pair(&child, std::move(*parsed));
    }
  }
  return std::nullopt;
}

const Json* desired_element(const Json* desired, const ElementToken& token) {
  if (desired == nullptr || !desired->is_array()) return nullptr;
  for (const Json& element : *desired) {
    if (has_key(element, token, true)) return &element;
  }
  return nullptr;
}

class Walk {
 public:
  explicit Walk(std::vector<ForeignElement>& found) : found_(found) {}

  // `desired`: the desired counterpart of `live` (nullptr when none);
  // `mine`: the FieldsV1 node of the manager kix applies as (nullptr when
  // it owns nothing here); `others`: the other managers' nodes here.
  void visit(const Json* desired, Json& live, const Json* mine, const std::vector<Owner>& others) {
    if (live.is_object()) {
      visit_object(desired, live, mine, others);
    } else if (live.is_array()) {
      visit_array(desired, live, mine, others);
    }
  }

 private:
  static const Json* child(const Json* node, const std::string& token) {
    if (node == nullptr || !node->is_object()) return nullptr;
    auto it = node->find(token);
    return it == node->end() ? nullptr : &*it;
  }

  void visit_object(const Json* desired, Json& live, const Json* mine,
                    const std::vector<Owner>& others) {
    for (auto it = live.begin(); it != live.end(); ++it) {
      const std::string& key = it.key();
      const std::string token = "f:" + key;
      const Json* want = desired != nullptr && desired->is_object() ? child(desired, key) : nullptr;
      const Json* my_child = child(mine, token);
      // A field neither kix sets nor kix owns is not compared at all.
      if (want == nullptr && my_child == nullptr) continue;
      std::vector<Owner> theirs;
      for (const Owner& owner : others) {
        if (const Json* c = child(owner.fields, token)) theirs.push_back({owner.manager, c});
      }
      if (theirs.empty()) continue;
      tokens_.push_back(key);
      visit(want, it.value(), my_child, theirs);
      tokens_.pop_back();
    }
  }

  void visit_array(const Json* desired, Json& live, const Json* mine,
                   const std::vector<Owner>& others) {
    Json kept = Json::array();
    for (size_t i = 0; i < live.size(); ++i) {
      Json& element = live[i];
      tokens_.push_back(std::to_string(i));
      std::vector<Owner> theirs;
      std::optional<ElementToken> their_key;
      std::set<std::string> managers;
      for (const Owner& owner : others) {
        if (auto entry = owned_entry(owner.fields, element)) {
          theirs.push_back({owner.manager, entry->first});
          managers.insert(owner.manager);
          if (!their_key) their_key = std::move(entry->second);
        }
      }
      if (auto my_entry = owned_entry(mine, element)) {
        if (!theirs.empty()) {
          visit(desired_element(desired, my_entry->second), element, my_entry->first, theirs);
        }
        kept.push_back(std::move(element));
      } else if (!their_key) {
        kept.push_back(std::move(element));  // no one's record names it
      } else if (const Json* want = desired_element(desired, *their_key)) {
        // kix wants it too (and takes it on its next apply).
        visit(want, element, nullptr, theirs);
        kept.push_back(std::move(element));
      } else {
        found_.push_back({{},
                          json_path(tokens_),
                          std::move(their_key->key),
                          std::vector<std::string>(managers.begin(), managers.end())});
      }
      tokens_.pop_back();
    }
    live = std::move(kept);
  }

  std::vector<ForeignElement>& found_;
  std::vector<std::string> tokens_;
};

}  // namespace

std::vector<ForeignElement> take_foreign_elements(const Json& desired, Json& live,
                                                  const Json& live_raw,
                                                  const std::string& manager) {
  std::vector<ForeignElement> found;
  std::map<std::string, Json> owners = fields_by_manager(live_raw);
  auto mine = owners.find(manager);
  std::vector<Owner> others;
  for (const auto& [name, fields] : owners) {
    if (name != manager) others.push_back({name, &fields});
  }
  if (others.empty() || !live.is_object()) return found;
  Walk(found).visit(&desired, live, mine == owners.end() ? nullptr : &mine->second, others);
  return found;
}

}  // namespace kix
