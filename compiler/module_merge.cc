#include "compiler/module_merge.h"

#include <algorithm>

namespace kix::compiler {

namespace {

std::string parent_pointer(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  return slash == std::string::npos ? std::string() : pointer.substr(0, slash);
}

std::string short_value(const Json& j) {
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// " (both tagged !force)" when the two sides carry the same tag.
std::string tag_note(int priority) {
  if (priority == 2) return " (both tagged !force)";
  if (priority == 0) return " (both tagged !default)";
  return "";
}

// What to do about two values of equal priority: a tag only helps when the
// sides differ in it.
std::string conflict_hint(int priority) {
  if (priority == 2) {
    return "two !force values cannot both win: remove the !force tag from the one that should "
           "yield, or make the values agree";
  }
  if (priority == 0) {
    return "two !default values cannot both yield: remove the !default tag from the one that "
           "should win, or make the values agree";
  }
  return "keep one of them, or tag the one that should yield with !default (or the one that must "
         "win with !force)";
}

}  // namespace

MergedDocument MergedDocument::merge(std::vector<Document> docs,
                                     const std::vector<std::string>& concatenated,
                                     const std::vector<std::string>& appended) {
  MergedDocument m;
  m.docs_ = std::move(docs);
  m.concatenated_ = concatenated;
  m.appended_ = appended;
  if (m.docs_.empty()) return m;
  m.value_ = m.docs_[0].value.is_null() ? Json::object() : m.docs_[0].value;
  m.origin_[""] = 0;
  for (size_t i = 1; i < m.docs_.size(); ++i) {
    const Json& v = m.docs_[i].value;
    if (v.is_null()) continue;
    if (!v.is_object() || !m.value_.is_object()) {
      throw Error(ErrorKind::kInvalidInput, "a cluster definition module must be a map",
                  m.docs_[i].location);
    }
    m.merge_into(m.value_, v, "", i);
  }
  return m;
}

MergedDocument::Priority MergedDocument::priority(size_t doc, const std::string& pointer) const {
  const auto& tags = docs_[doc].tags;
  if (!tags) return kNormal;
  // A tag on a map applies to everything below it.
  for (std::string p = pointer;; p = parent_pointer(p)) {
    auto it = tags->find(p);
    if (it != tags->end()) {
      if (it->second == "!default") return kDefault;
      if (it->second == "!force") return kForce;
    }
    if (p.empty()) return kNormal;
  }
}

MergedDocument::Priority MergedDocument::current_priority(const std::string& pointer) const {
  for (std::string p = pointer;; p = parent_pointer(p)) {
    auto it = origin_.find(p);
    if (it != origin_.end()) return priority(it->second, pointer);
    if (p.empty()) return kNormal;
  }
}

bool MergedDocument::is_appended(const std::string& pointer) const {
  auto tokens = [](const std::string& p) {
    std::vector<std::string> out;
    size_t start = 1;
    while (start <= p.size()) {
      size_t slash = p.find('/', start);
      if (slash == std::string::npos) slash = p.size();
      out.push_back(p.substr(start, slash - start));
      start = slash + 1;
    }
    return out;
  };
  const std::vector<std::string> have = tokens(pointer);
  for (const std::string& pattern : appended_) {
    const std::vector<std::string> want = tokens(pattern);
    if (want.size() != have.size()) continue;
    bool match = true;
    for (size_t i = 0; i < want.size() && match; ++i) match = want[i] == "*" || want[i] == have[i];
    if (match) return true;
  }
  return false;
}

void MergedDocument::forget_below(const std::string& pointer) {
  auto below = [&](const std::string& p) {
    return p.size() > pointer.size() && p.compare(0, pointer.size(), pointer) == 0 &&
           p[pointer.size()] == '/';
  };
  std::erase_if(origin_, [&](const auto& entry) { return below(entry.first); });
  std::erase_if(moved_, [&](const auto& entry) { return below(entry.first); });
}

void MergedDocument::merge_into(Json& into, const Json& from, const std::string& pointer,
                                size_t doc) {
  for (const auto& [key, value] : from.items()) {
    std::string child = pointer + "/" + json_pointer_escape(key);
    auto it = into.find(key);
    if (it == into.end()) {
      into[key] = value;
      origin_[child] = doc;
      continue;
    }
    Json& existing = *it;
    if (existing.is_object() && value.is_object()) {
      merge_into(existing, value, child, doc);
      continue;
    }
    bool top_level_list =
        pointer.empty() && existing.is_array() && value.is_array() &&
        std::find(concatenated_.begin(), concatenated_.end(), key) != concatenated_.end();
    if (top_level_list) {
      for (const auto& item : value) {
        if (std::find(existing.begin(), existing.end(), item) == existing.end())
          existing.push_back(item);
      }
      continue;
    }
    Priority old_priority = current_priority(child);
    Priority new_priority = priority(doc, child);
    if (new_priority > old_priority) {
      existing = value;
      // The replaced subtree may have come from several documents; none of
      // them wrote what is there now.
      forget_below(child);
      origin_[child] = doc;
      continue;
    }
    if (new_priority == old_priority && existing.is_array() && value.is_array() &&
        is_appended(child)) {
      for (size_t k = 0; k < value.size(); ++k) {
        moved_[child + "/" + std::to_string(existing.size())] = {doc,
                                                                 child + "/" + std::to_string(k)};
        existing.push_back(value[k]);
      }
      continue;
    }
    if (new_priority < old_priority || existing == value) continue;
    SourceLocation first = locate(child);
    SourceLocation second = docs_[doc].locate(child);
    std::string path = child.empty() ? "/" : child;
    throw Error(ErrorKind::kConflict,
                "conflicting values for '" + path + "': " + short_value(existing) + " at " +
                    first.str() + " and " + short_value(value) + " at " + second.str() +
                    tag_note(new_priority),
                second, conflict_hint(new_priority));
  }
}

SourceLocation MergedDocument::locate(const std::string& pointer) const {
  for (std::string p = pointer;; p = parent_pointer(p)) {
    auto moved = moved_.find(p);
    if (moved != moved_.end()) {
      return docs_[moved->second.first].locate(moved->second.second + pointer.substr(p.size()));
    }
    auto it = origin_.find(p);
    if (it != origin_.end()) return docs_[it->second].locate(pointer);
    if (p.empty()) return docs_.empty() ? SourceLocation{} : docs_[0].locate(pointer);
  }
}

}  // namespace kix::compiler
