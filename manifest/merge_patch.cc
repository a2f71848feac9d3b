#include "manifest/merge_patch.h"

namespace kix {

namespace {

// RFC 7386 MergePatch(Target, Patch) for a patch that is a map and a
// target that is a map; anything else is handled by the caller.
void merge(Json& target, const Json& patch, std::vector<std::string>& path,
           std::vector<std::vector<std::string>>& written) {
  for (const auto& [key, value] : patch.items()) {
    path.push_back(key);
    auto it = target.find(key);
    if (value.is_null()) {
      if (it != target.end()) {
        target.erase(it);
        written.push_back(path);
      }
    } else if (value.is_object() && it != target.end() && it->is_object()) {
      merge(*it, value, path, written);
    } else {
      // A new map is itself merged into an empty one, so nulls inside it
      // vanish as RFC 7386 requires.
      Json fresh = Json::object();
      if (value.is_object()) {
        std::vector<std::string> inner;
        std::vector<std::vector<std::string>> ignored;
        merge(fresh, value, inner, ignored);
      } else {
        fresh = value;
      }
      target[key] = std::move(fresh);
      written.push_back(path);
    }
    path.pop_back();
  }
}

}  // namespace

std::vector<std::vector<std::string>> apply_merge_patch(Json& target, const Json& patch) {
  std::vector<std::vector<std::string>> written;
  if (!patch.is_object()) {
    target = patch;
    written.emplace_back();
    return written;
  }
  if (!target.is_object()) {
    target = Json::object();
    written.emplace_back();
  }
  std::vector<std::string> path;
  merge(target, patch, path, written);
  return written;
}

}  // namespace kix
