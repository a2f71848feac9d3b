#include "manifest/json_diff.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace kix {
namespace {

bool is_identifier(const std::string& key) {
  if (key.empty()) return false;
  unsigned char first = static_cast<unsigned char>(key[0]);
  if (!std::isalpha(first) && first != '_') return false;
  for (unsigned char c : key) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

bool is_index(const std::string& token) {
  if (token.empty() || token.size() > 18) return false;
  for (unsigned char c : token) {
    if (!std::isdigit(c)) return false;
  }
  return true;
}

void append_key(std::string& path, const std::string& key) {
  if (is_identifier(key)) {
    path += '.';
    path += key;
    return;
  }
  path += "['";
  for (char c : key) {
    if (c == '\'' || c == '\\') path += '\\';
    path += c;
  }
  path += "']";
}

void append_index(std::string& path, size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

// The name of every element when `list` is a list of objects that all carry
// a distinct string `name`; empty otherwise (then lists compare by index).
std::vector<std::string> element_names(const Json& list) {
  std::vector<std::string> names;
  std::map<std::string, int> seen;
  for (const Json& element : list) {
    if (!element.is_object()) return {};
    auto it = element.find("name");
    if (it == element.end() || !it->is_string()) return {};
    const std::string& name = it->get_ref<const std::string&>();
    if (seen[name]++ > 0) return {};
    names.push_back(name);
  }
  return names;
}

// Pushes a list index onto the path's components for its scope.
struct IndexToken {
  IndexToken(std::vector<std::string>& tokens, size_t i) : tokens_(tokens) {
    tokens_.push_back(std::to_string(i));
  }
  ~IndexToken() { tokens_.pop_back(); }
  std::vector<std::string>& tokens_;
};

class Differ {
 public:
  explicit Differ(bool is_secret) : is_secret_(is_secret) {}

  std::vector<FieldChange> run(const Json& before, const Json& after) {
    std::string path = "$";
    compare(&before, &after, path, 0, false);
    return std::move(changes_);
  }

 private:
  // `depth` is the number of path components below the root; `secret` is
  // set once the walk enters one of a Secret's values. tokens_ holds the
  // path's components, for the secrets policy.
  void compare(const Json* before, const Json* after, std::string& path, int depth, bool secret) {
    if (before && after) {
      if (before->is_object() && after->is_object())
        return compare_objects(*before, *after, path, depth, secret);
      if (before->is_array() && after->is_array())
        return compare_arrays(*before, *after, path, depth, secret);
      if (*before == *after) return;
    }
    FieldChange change;
    change.path = path;
    if (before) change.before = *before;
    if (after) change.after = *after;
    change.secret = secret || (is_secret_ && touches_secret_value(tokens_));
    changes_.push_back(std::move(change));
  }

  void compare_objects(const Json& before, const Json& after, std::string& path, int depth,
                       bool secret) {
    // Both maps iterate in sorted key order, so a merge walk visits the union
    // of keys in one deterministic order.
    auto b = before.items().begin();
    auto a = after.items().begin();
    const auto b_end = before.items().end();
    const auto a_end = after.items().end();
    while (b != b_end || a != a_end) {
      const Json* left = nullptr;
      const Json* right = nullptr;
      std::string key;
      if (a == a_end || (b != b_end && b.key() < a.key())) {
        key = b.key();
        left = &b.value();
        ++b;
      } else if (b == b_end || a.key() < b.key()) {
        key = a.key();
        right = &a.value();
        ++a;
      } else {
        key = b.key();
        left = &b.value();
        right = &a.value();
        ++b;
        ++a;
      }
      const size_t mark = path.size();
      append_key(path, key);
      tokens_.push_back(key);
      bool child_secret = secret || (is_secret_ && touches_secret_value(tokens_) &&
                                     tokens_.size() >= 1 && inside_value());
      compare(left, right, path, depth + 1, child_secret);
      tokens_.pop_back();
      path.resize(mark);
    }
  }

  void compare_arrays(const Json& before, const Json& after, std::string& path, int depth,
                      bool secret) {
    std::vector<std::string> before_names = element_names(before);
    std::vector<std::string> after_names = element_names(after);
    bool by_name =
        !before.empty() && !after.empty() && !before_names.empty() && !after_names.empty();
    if (!by_name) return compare_by_index(before, after, path, depth, secret);

    std::map<std::string, size_t> before_index;
    for (size_t i = 0; i < before_names.size(); ++i) before_index[before_names[i]] = i;
    std::map<std::string, bool> matched;
    // Matched and added elements are named by their position in `after`
    // (where they will be); removed ones by their position in `before`.
    for (size_t i = 0; i < after.size(); ++i) {
      const size_t mark = path.size();
      append_index(path, i);
      IndexToken token(tokens_, i);
      auto found = before_index.find(after_names[i]);
      if (found == before_index.end()) {
        compare(nullptr, &after[i], path, depth + 1, secret);
      } else {
        matched[after_names[i]] = true;
        compare(&before[found->second], &after[i], path, depth + 1, secret);
      }
      path.resize(mark);
    }
    for (size_t i = 0; i < before.size(); ++i) {
      if (matched.count(before_names[i])) continue;
      const size_t mark = path.size();
      append_index(path, i);
      IndexToken token(tokens_, i);
      compare(&before[i], nullptr, path, depth + 1, secret);
      path.resize(mark);
    }
  }

  void compare_by_index(const Json& before, const Json& after, std::string& path, int depth,
                        bool secret) {
    const size_t n = std::max(before.size(), after.size());
    for (size_t i = 0; i < n; ++i) {
      const size_t mark = path.size();
      append_index(path, i);
      IndexToken token(tokens_, i);
      compare(i < before.size() ? &before[i] : nullptr, i < after.size() ? &after[i] : nullptr,
              path, depth + 1, secret);
      path.resize(mark);
    }
  }

  // The walk is at or inside a value (not at a field that merely holds one).
  bool inside_value() const {
    return tokens_.front() == "data" || tokens_.front() == "stringData" ||
           (tokens_.size() >= 3 && tokens_[0] == "metadata" && tokens_[1] == "annotations" &&
            tokens_[2] == kLastAppliedAnnotation);
  }

  bool is_secret_;
  std::vector<std::string> tokens_;
  std::vector<FieldChange> changes_;
};

}  // namespace

std::vector<FieldChange> diff_manifests(const Json& before, const Json& after) {
  Differ differ(is_secret(before) || is_secret(after));
  return differ.run(before, after);
}

void redact_secret_values(std::vector<FieldChange>& changes) {
  for (FieldChange& change : changes) {
    if (!change.secret) continue;
    if (change.before) change.before = Json(kRedactedValue);
    if (change.after) change.after = Json(kRedactedValue);
  }
}

std::string json_path(const std::vector<std::string>& tokens) {
  std::string path = "$";
  for (const std::string& token : tokens) {
    if (is_index(token)) {
      path += '[';
      path += token;
      path += ']';
    } else {
      append_key(path, token);
    }
  }
  return path;
}

}  // namespace kix
