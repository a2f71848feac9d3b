#include "manifest/json_patch.h"

#include <algorithm>
#include <cstdlib>

namespace kix {

namespace {

const char* const kOps[] = {"add", "remove", "replace", "move", "copy", "test"};

// A failure of the operation being applied (the index is added by the loop).
struct OpFailure {
  std::string message;
};

std::string short_json(const Json& j) {
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// The index an array token names: digits without a leading zero. nullopt
// otherwise ("-" included: callers handle it).
std::optional<size_t> array_index(const std::string& token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<size_t>(std::strtoull(token.c_str(), nullptr, 10));
}

std::string pointer_text(const std::vector<std::string>& tokens, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < tokens.size(); ++i) {
    out += "/";
    for (char c : tokens[i]) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

class Applier {
 public:
  explicit Applier(Json& doc) : doc_(doc) {}

  void apply(const Json& op) {
    if (!op.is_object()) throw OpFailure{"an operation must be a map with 'op' and 'path'"};
    auto kind = op.find("op");
    if (kind == op.end() || !kind->is_string()) {
      throw OpFailure{"an operation needs 'op' (add, remove, replace, move, copy or test)"};
    }
    const std::string name = kind->get<std::string>();
    if (std::find(std::begin(kOps), std::end(kOps), name) == std::end(kOps)) {
      throw OpFailure{"unknown op '" + name + "' (add, remove, replace, move, copy or test)"};
    }
    const std::vector<std::string> path = pointer(op, "path");
    if (name == "add") {
      add(path, value(op));
    } else if (name == "remove") {
      remove(path);
    } else if (name == "replace") {
      Json& at = resolve(path);
      at = value(op);
    } else if (name == "move") {
      const std::vector<std::string> from = pointer(op, "from");
      if (from.size() < path.size() && std::equal(from.begin(), from.end(), path.begin())) {
        throw OpFailure{"cannot move '" + pointer_text(from, from.size()) + "' into itself ('" +
                        pointer_text(path, path.size()) + "')"};
      }
      if (from == path) {
        resolve(from);  // must exist
        return;
      }
      Json moved = resolve(from);
      remove(from);
      add(path, std::move(moved));
    } else if (name == "copy") {
      Json copied = resolve(pointer(op, "from"));
      add(path, std::move(copied));
    } else {
      const Json expected = value(op);
      const Json& actual = resolve(path);
      if (actual != expected) {
        throw OpFailure{"test failed: '" + pointer_text(path, path.size()) + "' is " +
                        short_json(actual) + ", not " + short_json(expected)};
      }
    }
  }

 private:
  static std::vector<std::string> pointer(const Json& op, const char* field) {
    auto it = op.find(field);
    if (it == op.end() || !it->is_string()) {
      throw OpFailure{std::string("'") + op["op"].get<std::string>() + "' needs '" + field +
                      "', a JSON Pointer such as /spec/replicas"};
    }
    auto tokens = parse_json_pointer(it->get<std::string>());
    if (!tokens) {
      throw OpFailure{std::string("'") + field + "' is '" + it->get<std::string>() +
                      "', not a JSON Pointer (it starts with '/'; write '~1' for '/' and '~0' "
                      "for '~' in a key)"};
    }
    return *tokens;
  }

  static const Json& value(const Json& op) {
    auto it = op.find("value");
    if (it == op.end()) {
      throw OpFailure{"'" + op["op"].get<std::string>() + "' needs 'value'"};
    }
    return *it;
  }

  // The node `tokens` names; it must exist.
  Json& resolve(const std::vector<std::string>& tokens) {
    Json* node = &doc_;
    for (size_t i = 0; i < tokens.size(); ++i) node = &step(*node, tokens, i);
    return *node;
  }

  // The child `tokens[i]` of `node`, which must exist.
  static Json& step(Json& node, const std::vector<std::string>& tokens, size_t i) {
    const std::string& token = tokens[i];
    if (node.is_object()) {
      auto it = node.find(token);
      if (it == node.end()) throw missing(tokens, i + 1);
      return *it;
    }
    if (node.is_array()) {
      auto index = array_index(token);
      if (!index || *index >= node.size()) {
        throw OpFailure{"path '" + pointer_text(tokens, i + 1) + "' does not exist (the list '" +
                        pointer_text(tokens, i) + "' has " + std::to_string(node.size()) + " item" +
                        (node.size() == 1 ? "" : "s") + ")"};
      }
      return node[*index];
    }
    throw OpFailure{"path '" + pointer_text(tokens, i + 1) + "' does not exist ('" +
                    pointer_text(tokens, i) + "' is " + (node.is_null() ? "null" : "a scalar") +
                    ", not a map or a list)"};
  }

  static OpFailure missing(const std::vector<std::string>& tokens, size_t count) {
    return OpFailure{"path '" + pointer_text(tokens, count) + "' does not exist"};
  }

  void add(const std::vector<std::string>& tokens, Json value) {
    if (tokens.empty()) {
      doc_ = std::move(value);
      return;
    }
    std::vector<std::string> parent_tokens(tokens.begin(), tokens.end() - 1);
    Json& parent = resolve(parent_tokens);
    const std::string& last = tokens.back();
    if (parent.is_object()) {
      parent[last] = std::move(value);
      return;
    }
    if (parent.is_array()) {
      if (last == "-") {
        parent.push_back(std::move(value));
        return;
      }
      auto index = array_index(last);
      if (!index || *index > parent.size()) {
        throw OpFailure{"cannot add at '" + pointer_text(tokens, tokens.size()) +
                        "': the list has " + std::to_string(parent.size()) + " item" +
                        (parent.size() == 1 ? "" : "s") + " (use '-' to append)"};
      }
      parent.insert(parent.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
      return;
    }
    throw OpFailure{"cannot add at '" + pointer_text(tokens, tokens.size()) + "': '" +
                    pointer_text(tokens, tokens.size() - 1) + "' is not a map or a list"};
  }

  void remove(const std::vector<std::string>& tokens) {
    if (tokens.empty()) throw OpFailure{"cannot remove the whole document"};
    std::vector<std::string> parent_tokens(tokens.begin(), tokens.end() - 1);
    Json& parent = resolve(parent_tokens);
    step(parent, tokens, tokens.size() - 1);  // must exist
    if (parent.is_object()) {
      parent.erase(tokens.back());
    } else {
      parent.erase(*array_index(tokens.back()));
    }
  }

  Json& doc_;
};

}  // namespace

std::optional<std::vector<std::string>> parse_json_pointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return std::nullopt;
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
        return std::nullopt;
      }
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    token += pointer[i];
  }
  return tokens;
}

std::optional<JsonPatchFailure> apply_json_patch(Json& target, const Json& ops) {
  if (!ops.is_array()) {
    return JsonPatchFailure{0, "a JSON patch must be a list of operations"};
  }
  Json result = target;
  Applier applier(result);
  for (size_t i = 0; i < ops.size(); ++i) {
    try {
      applier.apply(ops[i]);
    } catch (const OpFailure& f) {
      return JsonPatchFailure{i, f.message};
    }
  }
  target = std::move(result);
  return std::nullopt;
}

std::vector<std::string> json_patch_written_paths(const Json& op) {
  if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path") ||
      !op["path"].is_string()) {
    return {};
  }
  const std::string name = op["op"].get<std::string>();
  if (name == "test") return {};
  std::vector<std::string> out;
  if (name == "move" && op.contains("from") && op["from"].is_string()) {
    out.push_back(op["from"].get<std::string>());
  }
  out.push_back(op["path"].get<std::string>());
  return out;
}

}  // namespace kix
