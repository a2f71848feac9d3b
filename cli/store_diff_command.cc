// `kix store diff A B`: summary counts, then every changed field.
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "store/ref.h"
#include "store/store_diff.h"

namespace kix::cli {

namespace {

struct DiffArgs {
  std::string a;
  std::string b;
  std::string format;
};

constexpr const char* kSecretChanged = "(secret value changed)";

// json_diff marks Secret values; this also covers a whole data map that
// appears or disappears, so no path under data/stringData of a Secret is
// ever printed with its value.
bool hides_value(const ResourceChange& change, const FieldChange& field) {
  if (field.secret) return true;
  if (change.after.id.kind != "Secret" && change.before.id.kind != "Secret") return false;
  return field.path.rfind("$.data", 0) == 0 || field.path.rfind("$.stringData", 0) == 0;
}

std::string value_text(const std::optional<Json>& v) {
  return v ? v->dump() : "(absent)";
}

std::vector<Hash> node_set(Store& store, const ResolvedRef& r) {
  if (r.kind == ObjectKind::kRoot) return store.find_root(r.hash)->nodes;
  return {r.hash};
}

// --- text -----------------------------------------------------------------------

std::string render_text(const StoreDiff& d) {
  std::string out = "identical " + std::to_string(d.identical) + ", modified " +
                    std::to_string(d.modified.size()) + ", dependency only " +
                    std::to_string(d.dependency_only.size()) + ", added " +
                    std::to_string(d.added.size()) + ", removed " +
                    std::to_string(d.removed.size()) + "\n";
  for (const auto& c : d.modified) {
    out += "\nmodified " + describe(c.after) + "\n";
    for (const auto& f : c.fields) {
      out += "  " + f.path + ": " +
             (hides_value(c, f) ? std::string(kSecretChanged)
                                : value_text(f.before) + " -> " + value_text(f.after)) +
             "\n";
    }
  }
  if (!d.dependency_only.empty()) out += "\n";
  for (const auto& c : d.dependency_only) {
    out += "dependency only " + describe(c.after) + "  (a referenced resource changed)\n";
  }
  if (!d.added.empty()) out += "\n";
  for (const auto& n : d.added) out += "added " + describe(n) + "  " + n.hash.hex() + "\n";
  if (!d.removed.empty()) out += "\n";
  for (const auto& n : d.removed) out += "removed " + describe(n) + "  " + n.hash.hex() + "\n";
  return out;
}

// --- json -----------------------------------------------------------------------

Json identity_json(const StoredNode& n) {
  return Json{{"resource", describe(n)},
              {"apiVersion", n.id.api_version},
              {"kind", n.id.kind},
              {"namespace", n.id.ns},
              {"name", n.id.name}};
}

Json change_json(const ResourceChange& c) {
  Json j = identity_json(c.after);
  j["beforeNode"] = c.before.hash.hex();
  j["afterNode"] = c.after.hash.hex();
  j["changes"] = Json::array();
  for (const auto& f : c.fields) {
    Json field{{"path", f.path}};
    if (hides_value(c, f)) {
      field["secret"] = true;
    } else {
      field["before"] = f.before ? *f.before : Json();
      field["after"] = f.after ? *f.after : Json();
      field["beforePresent"] = f.before.has_value();
      field["afterPresent"] = f.after.has_value();
    }
    j["changes"].push_back(std::move(field));
  }
  return j;
}

std::string render_json(const StoreDiff& d) {
  Json out{{"equal", d.equal()},
           {"summary",
            {{"identical", d.identical},
             {"modified", d.modified.size()},
             {"dependencyOnly", d.dependency_only.size()},
             {"added", d.added.size()},
             {"removed", d.removed.size()}}}};
  out["modified"] = Json::array();
  for (const auto& c : d.modified) out["modified"].push_back(change_json(c));
  out["dependencyOnly"] = Json::array();
  for (const auto& c : d.dependency_only) out["dependencyOnly"].push_back(change_json(c));
  out["added"] = Json::array();
  for (const auto& n : d.added) out["added"].push_back(identity_json(n));
  out["removed"] = Json::array();
  for (const auto& n : d.removed) out["removed"].push_back(identity_json(n));
  return out.dump(2) + "\n";
}

// --- markdown -------------------------------------------------------------------

std::string md_code(const std::string& s) {
  std::string escaped;
  for (char c : s) {
    if (c == '|') {
      escaped += "\\|";
    } else if (c == '\n') {
      escaped += ' ';
    } else {
      escaped += c;
    }
  }
  // A code span needs a fence longer than any backtick run inside it.
  std::string fence = escaped.find('`') == std::string::npos ? "`" : "``";
  return fence + (fence.size() > 1 ? " " : "") + escaped + (fence.size() > 1 ? " " : "") + fence;
}

std::string render_markdown(const StoreDiff& d) {
  std::string out =
      "| identical | modified | dependency only | added | removed |\n"
      "|---:|---:|---:|---:|---:|\n| " +
      std::to_string(d.identical) + " | " + std::to_string(d.modified.size()) + " | " +
      std::to_string(d.dependency_only.size()) + " | " + std::to_string(d.added.size()) + " | " +
      std::to_string(d.removed.size()) + " |\n";
  for (const auto& c : d.modified) {
    out += "\n**modified** " + md_code(describe(c.after)) +
           "\n\n| path | before | after |\n|---|---|---|\n";
    for (const auto& f : c.fields) {
      if (hides_value(c, f)) {
        out += "| " + md_code(f.path) + " | " + kSecretChanged + " | " + kSecretChanged + " |\n";
      } else {
        out += "| " + md_code(f.path) + " | " + md_code(value_text(f.before)) + " | " +
               md_code(value_text(f.after)) + " |\n";
      }
    }
  }
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += std::string("\n**") + title + "**\n\n";
    for (const auto& i : items) out += "- " + md_code(i) + "\n";
  };
  std::vector<std::string> dep, added, removed;
  for (const auto& c : d.dependency_only) dep.push_back(describe(c.after));
  for (const auto& n : d.added) added.push_back(describe(n));
  for (const auto& n : d.removed) removed.push_back(describe(n));
  list("dependency only", dep);
  list("added", added);
  list("removed", removed);
  return out;
}

void run_diff(const DiffArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef a = resolve_ref(store, args.a);
  ResolvedRef b = resolve_ref(store, args.b);
  StoreDiff d = diff_stored(store, node_set(store, a), node_set(store, b));
  if (args.format == "json") {
    std::cout << render_json(d);
  } else if (args.format == "markdown") {
    std::cout << render_markdown(d);
  } else {
    std::cout << render_text(d);
  }
  std::cout << std::flush;
  ctx.exit_code = d.equal() ? kExitOk : kExitDifferent;
}

}  // namespace

void add_store_diff_command(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = store.add_subcommand(
      "diff",
      "Compare two roots (or nodes): counts, then every changed field. Exit 0 when equal,\n"
      "1 when different, 2 on error. Secret values are never printed.");
  cmd->add_option("A", args->a, "The old side: hash, NAME or NAME@N")->required();
  cmd->add_option("B", args->b, "The new side: hash, NAME or NAME@N")->required();
  add_format_option(cmd, args->format, {"text", "json", "markdown"});
  cmd->callback([args, &ctx] { run_diff(*args, ctx); });
}

}  // namespace kix::cli
