#include "cli/diff_render.h"

#include "cli/diff_markdown.h"

#include <algorithm>
#include <iostream>

namespace kix::cli {

const Vocabulary kLiveWords = {
    "live", "kix", "cluster", "kix-only", "will be created", "cluster-only", "not managed by kix"};
const Vocabulary kBuildWords = {
    "builds", "new", "base", "added", "only in the new build", "removed", "only in the base build"};

// Strings print bare (as in seed 003: `kix: coredns/coredns:1.12.3`) unless
// that would be ambiguous; everything else as JSON.
std::string value_text(const std::optional<Json>& value) {
  if (!value) return "(absent)";
  if (value->is_string()) {
    const std::string& s = value->get_ref<const std::string&>();
    bool plain = !s.empty() && s.find_first_of("\n\r\t") == std::string::npos && s.front() != ' ' &&
                 s.back() != ' ' && s != "true" && s != "false" && s != "null";
    if (plain) return s;
  }
  return value->dump();
}

// A foreign element's key: "name: log-shipper", "port: 9090, protocol: TCP";
// a set's value as it is.
std::string key_text(const Json& key) {
  if (!key.is_object()) return value_text(key);
  std::string out;
  for (const auto& [field, value] : key.items()) {
    out += (out.empty() ? "" : ", ") + field + ": " + value_text(value);
  }
  return out;
}

std::string managers_text(const std::vector<std::string>& managers) {
  std::string out;
  for (const std::string& m : managers) out += (out.empty() ? "" : ", ") + m;
  return out;
}

namespace {

std::string status_word(DiffStatus status, const Vocabulary& words) {
  switch (status) {
    case DiffStatus::kLeftOnly:
      return words.left_only;
    case DiffStatus::kRightOnly:
      return words.right_only;
    default:
      return diff_status_name(status);
  }
}

// ---- text --------------------------------------------------------------------

void print_text(const DiffReport& report, const std::string& left, const std::string& right,
                const Vocabulary& words, const Colors& c, bool utf8) {
  std::string rule;
  for (int i = 0; i < 51; ++i) rule += utf8 ? "\u2550" : "=";
  std::cout << c.bold() << rule << "\n kix-diff: " << left << " vs " << right << "\n"
            << rule << c.reset() << "\n";
  std::cout << "Summary:\n";
  std::cout << "  identical:          " << report.count(DiffStatus::kIdentical) << "\n";
  std::cout << "  modified:           " << report.count(DiffStatus::kModified) << "\n";
  if (words.mode == "builds") {
    std::cout << "  dependency changed: " << report.count(DiffStatus::kDependencyChanged) << "\n";
  }
  auto pad = [](const std::string& s) {
    return s + ":" + std::string(s.size() < 19 ? 19 - s.size() : 1, ' ');
  };
  std::cout << "  " << pad(words.left_only) << report.count(DiffStatus::kLeftOnly) << " ("
            << words.left_only_note << ")\n";
  std::cout << "  " << pad(words.right_only) << report.count(DiffStatus::kRightOnly) << " ("
            << words.right_only_note << ")\n";
  if (report.replacements() > 0) {
    std::cout << "  " << pad("requires replace") << report.replacements()
              << " (an immutable field changed: kix deploy --replace deletes and re-creates)\n";
  }
  if (!report.foreign_elements.empty()) {
    std::cout << "  " << pad("also present") << report.foreign_elements.size()
              << " (list elements owned by another manager; not drift)\n";
  }

  const size_t label_width = std::max(words.left_value.size(), words.right_value.size());
  auto label = [&](const std::string& w) {
    return w + ":" + std::string(label_width - w.size(), ' ');
  };
  for (const ResourceDiff& r : report.resources) {
    switch (r.status) {
      case DiffStatus::kModified:
        std::cout << "\n" << c.yellow() << "~ " << r.id.display() << c.reset();
        if (!r.requires_replace.empty()) {
          std::cout << " " << c.red() << c.bold() << "(requires replace)" << c.reset();
        }
        std::cout << "\n";
        for (const FieldChange& f : r.changes) {
          if (f.secret) {
            std::cout << "    " << f.path << ": (secret value differs — not shown)\n";
            continue;
          }
          const bool immutable = std::find(r.requires_replace.begin(), r.requires_replace.end(),
                                           f.path) != r.requires_replace.end();
          std::cout << "    " << f.path << ":" << (immutable ? "  (immutable)" : "") << "\n"
                    << "      " << c.green() << label(words.left_value) << " "
                    << value_text(f.before) << c.reset() << "\n"
                    << "      " << c.red() << label(words.right_value) << " " << value_text(f.after)
                    << c.reset() << "\n";
        }
        break;
      case DiffStatus::kDependencyChanged: {
        std::string deps;
        for (const auto& d : r.dependencies) deps += (deps.empty() ? "" : ", ") + d;
        std::cout << "\n* " << r.id.display() << " (only a dependency changed"
                  << (deps.empty() ? "" : ": " + deps) << ")\n";
        break;
      }
      case DiffStatus::kLeftOnly:
        std::cout << "\n"
                  << c.green() << "+ " << r.id.display() << c.reset() << " ("
                  << (words.mode == "live" ? "new — will be created" : words.left_only_note)
                  << ")\n";
        break;
      case DiffStatus::kRightOnly:
        std::cout << "\n" << c.red() << "- " << r.id.display() << c.reset() << " (";
        if (words.mode != "live") {
          std::cout << words.right_only_note;
        } else if (!r.orphaned.empty()) {
          std::cout << "cluster-only — orphaned by kix, " << r.orphaned << "; kix deploy prunes it";
        } else {
          std::cout << "cluster-only — not managed by kix, possible manual leftover";
        }
        std::cout << ")\n";
        break;
      case DiffStatus::kIdentical:
        break;
    }
  }
  if (!report.foreign_elements.empty()) {
    std::cout << "\nalso present, owned by another manager (kix deploy leaves them; not drift):\n";
    const ResourceId* last = nullptr;
    for (const ForeignElement& e : report.foreign_elements) {
      if (last == nullptr || last->key() != e.id.key()) std::cout << "  " << e.id.display() << "\n";
      last = &e.id;
      std::cout << "    " << e.path << " (" << key_text(e.key) << "): " << managers_text(e.managers)
                << "\n";
    }
  }
  if (!report.unverified_secrets.empty()) {
    std::cout << "\nnote: " << report.unverified_secrets.size()
              << " Secret(s) compared without their values (the secret key that seals them is "
                 "not here):\n";
    for (const ResourceId& id : report.unverified_secrets) {
      std::cout << "  " << id.display() << "\n";
    }
  }
}

// ---- json --------------------------------------------------------------------

Json report_json(const DiffReport& report, const std::string& left, const std::string& right,
                 const Vocabulary& words) {
  Json summary = {{"identical", report.count(DiffStatus::kIdentical)},
                  {"modified", report.count(DiffStatus::kModified)},
                  {words.left_only, report.count(DiffStatus::kLeftOnly)},
                  {words.right_only, report.count(DiffStatus::kRightOnly)}};
  if (words.mode == "builds")
    summary["dependency-changed"] = report.count(DiffStatus::kDependencyChanged);
  if (report.replacements() > 0) summary["requires-replace"] = report.replacements();
  if (!report.foreign_elements.empty()) summary["also-present"] = report.foreign_elements.size();
  Json also_present = Json::array();
  for (const ForeignElement& e : report.foreign_elements) {
    also_present.push_back({{"apiVersion", e.id.api_version},
                            {"kind", e.id.kind},
                            {"namespace", e.id.ns},
                            {"name", e.id.name},
                            {"path", e.path},
                            {"key", e.key},
                            {"managers", e.managers}});
  }
  Json unverified = Json::array();
  for (const ResourceId& id : report.unverified_secrets) {
    unverified.push_back({{"apiVersion", id.api_version},
                          {"kind", id.kind},
                          {"namespace", id.ns},
                          {"name", id.name}});
  }
  Json resources = Json::array();
  for (const ResourceDiff& r : report.resources) {
    if (r.status == DiffStatus::kIdentical) continue;
    Json entry = {{"status", status_word(r.status, words)},
                  {"apiVersion", r.id.api_version},
                  {"kind", r.id.kind},
                  {"namespace", r.id.ns},
                  {"name", r.id.name}};
    if (r.status == DiffStatus::kModified) {
      Json changes = Json::array();
      for (const FieldChange& f : r.changes) {
        Json change = {{"path", f.path}, {"secret", f.secret}};
        if (f.before) change[words.left_value] = *f.before;
        if (f.after) change[words.right_value] = *f.after;
        changes.push_back(std::move(change));
      }
      entry["changes"] = std::move(changes);
    }
    if (r.status == DiffStatus::kDependencyChanged) entry["dependencies"] = r.dependencies;
    if (!r.orphaned.empty()) entry["orphaned"] = r.orphaned;
    if (!r.requires_replace.empty()) entry["requiresReplace"] = r.requires_replace;
    resources.push_back(std::move(entry));
  }
  return {{"mode", words.mode},
          {"left", left},
          {"right", right},
          {"summary", summary},
          {"different", report.has_differences()},
          {"resources", resources},
          {"unverifiedSecrets", unverified},
          {"alsoPresent", also_present}};
}

}  // namespace

void print_diff(const DiffReport& report, const std::string& left, const std::string& right,
                const Vocabulary& words, const std::string& format, const Colors& colors,
                bool utf8) {
  if (format == "json") {
    std::cout << pretty_json(report_json(report, left, right, words)) << "\n";
  } else if (format == "markdown") {
    std::cout << diff_markdown(report, left, right, words);
  } else {
    print_text(report, left, right, words, colors, utf8);
  }
  std::cout << std::flush;
}

}  // namespace kix::cli
