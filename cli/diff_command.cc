// `kix diff`: a build against the live cluster (a dump, or kubectl) or
// against another build. docs/commands/diff.md documents the formats.
#include <iostream>
#include <map>
#include <set>

#include "cli/cluster_cli.h"
#include "cli/store_cli.h"
#include "cluster/drift.h"
#include "manifest/document.h"
#include "manifest/manifest.h"
#include "util/error.h"

namespace kix::cli {
namespace {

struct DiffArgs {
  std::string input;
  std::string against;
  std::string live;
  bool kubectl = false;
  std::string context;
  std::string format;
};

// The words each comparison uses for its two sides.
struct Vocabulary {
  std::string mode;             // "live" / "builds"
  std::string left_value;       // "kix"
  std::string right_value;      // "cluster"
  std::string left_only;        // "kix-only"
  std::string left_only_note;   // "will be created"
  std::string right_only;       // "cluster-only"
  std::string right_only_note;  // "not managed by kix"
};

const Vocabulary kLiveWords = {
    "live", "kix", "cluster", "kix-only", "will be created", "cluster-only", "not managed by kix"};
const Vocabulary kBuildWords = {
    "builds", "new", "base", "added", "only in the new build", "removed", "only in the base build"};

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

// A `kubectl get -A -o json` of a large cluster is one document of a few
// hundred megabytes: far above the limits for hand-written input.
ParseOptions live_parse_options() {
  ParseOptions options;
  options.limits.max_document_bytes = size_t{1} << 30;
  options.limits.max_nodes = size_t{64} << 20;
  return options;
}

// ---- live objects through kubectl -----------------------------------------

// "Deployment.apps", "Service": a type name kubectl resolves without guessing
// between API groups.
std::string kubectl_type(const ResourceId& id) {
  return id.group().empty() ? id.kind : id.kind + "." + id.group();
}

void append_kubectl_objects(ProcessRunner& runner, const std::vector<std::string>& argv,
                            std::vector<Manifest>& out) {
  ProcessResult result = runner.run(argv);
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kIo,
                "kubectl failed (exit " + std::to_string(result.exit_code) + "): " + result.err, {},
                "check the context and your access with: kubectl get ... yourself");
  }
  if (result.out.find_first_not_of(" \t\r\n") == std::string::npos) return;
  Diagnostics ignored;  // kubectl writes plain JSON: nothing to warn about
  append_manifests(parse_json(result.out, "kubectl get", ignored, live_parse_options()), out);
}

// Every live object of the kinds kix manages, in the namespaces it manages
// (namespaced kinds), or by name (cluster-scoped ones): enough to find
// drift and cluster-only leftovers without listing the whole cluster.
std::vector<Manifest> fetch_live(const Graph& desired, const std::string& context) {
  std::vector<std::string> base = {find_kubectl()};
  if (!context.empty()) base.insert(base.end(), {"--context", context});
  std::map<std::string, std::set<std::string>> types_by_namespace;
  std::map<std::string, std::set<std::string>> names_by_cluster_type;
  for (const Manifest& m : desired.manifests) {
    if (m.id.ns.empty()) {
      names_by_cluster_type[kubectl_type(m.id)].insert(m.id.name);
    } else {
      types_by_namespace[m.id.ns].insert(kubectl_type(m.id));
    }
  }
  SystemProcessRunner runner;
  std::vector<Manifest> live;
  for (const auto& [ns, types] : types_by_namespace) {
    std::string joined;
    for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
    auto argv = base;
    argv.insert(argv.end(), {"get", joined, "-n", ns, "-o", "json"});
    append_kubectl_objects(runner, argv, live);
  }
  for (const auto& [type, names] : names_by_cluster_type) {
    auto argv = base;
    argv.insert(argv.end(), {"get", type});
    argv.insert(argv.end(), names.begin(), names.end());
    argv.insert(argv.end(), {"--ignore-not-found", "-o", "json"});
    append_kubectl_objects(runner, argv, live);
  }
  return live;
}

// ---- text --------------------------------------------------------------------

void print_text(const DiffReport& report, const std::string& left, const std::string& right,
                const Vocabulary& words, const Colors& c) {
  const std::string rule(51, '=');
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

  const size_t label_width = std::max(words.left_value.size(), words.right_value.size());
  auto label = [&](const std::string& w) {
    return w + ":" + std::string(label_width - w.size(), ' ');
  };
  for (const ResourceDiff& r : report.resources) {
    switch (r.status) {
      case DiffStatus::kModified:
        std::cout << "\n" << c.yellow() << "~ " << r.id.display() << c.reset() << "\n";
        for (const FieldChange& f : r.changes) {
          if (f.secret) {
            std::cout << "    " << f.path << ": (secret value differs — not shown)\n";
            continue;
          }
          std::cout << "    " << f.path << ":\n"
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
        std::cout << "\n"
                  << c.red() << "- " << r.id.display() << c.reset() << " ("
                  << (words.mode == "live" ? "cluster-only — not managed by kix"
                                           : words.right_only_note)
                  << ")\n";
        break;
      case DiffStatus::kIdentical:
        break;
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
    resources.push_back(std::move(entry));
  }
  return {{"mode", words.mode},
          {"left", left},
          {"right", right},
          {"summary", summary},
          {"different", report.has_differences()},
          {"resources", resources}};
}

// ---- markdown ----------------------------------------------------------------

// A value inside a table cell: code-formatted, pipes escaped.
std::string md_cell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '`') {
      out += "'";
    } else if (ch == '\n') {
      out += " ";
    } else {
      out += ch;
    }
  }
  return "`" + out + "`";
}

void print_markdown(const DiffReport& report, const std::string& left, const std::string& right,
                    const Vocabulary& words) {
  std::cout << "### kix diff: " << md_cell(left) << " vs " << md_cell(right) << "\n\n";
  std::cout << "| | resources |\n|---|---:|\n";
  std::cout << "| identical | " << report.count(DiffStatus::kIdentical) << " |\n";
  std::cout << "| modified | " << report.count(DiffStatus::kModified) << " |\n";
  if (words.mode == "builds") {
    std::cout << "| dependency changed | " << report.count(DiffStatus::kDependencyChanged)
              << " |\n";
  }
  std::cout << "| " << words.left_only << " (" << words.left_only_note << ") | "
            << report.count(DiffStatus::kLeftOnly) << " |\n";
  std::cout << "| " << words.right_only << " (" << words.right_only_note << ") | "
            << report.count(DiffStatus::kRightOnly) << " |\n";
  for (const ResourceDiff& r : report.resources) {
    if (r.status != DiffStatus::kModified) continue;
    std::cout << "\n#### ~ " << r.id.display() << "\n\n| path | " << words.left_value << " | "
              << words.right_value << " |\n|---|---|---|\n";
    for (const FieldChange& f : r.changes) {
      std::cout << "| " << md_cell(f.path) << " | "
                << (f.secret ? "*(secret, differs)*" : md_cell(value_text(f.before))) << " | "
                << (f.secret ? "*(secret, differs)*" : md_cell(value_text(f.after))) << " |\n";
    }
  }
  auto list = [&](DiffStatus status, const std::string& title) {
    if (report.count(status) == 0) return;
    std::cout << "\n#### " << title << "\n\n";
    for (const ResourceDiff& r : report.resources) {
      if (r.status != status) continue;
      std::cout << "- " << md_cell(r.id.display());
      if (!r.dependencies.empty()) {
        std::string deps;
        for (const auto& d : r.dependencies) deps += (deps.empty() ? "" : ", ") + d;
        std::cout << " (changed: " << deps << ")";
      }
      std::cout << "\n";
    }
  };
  list(DiffStatus::kDependencyChanged, "* only a dependency changed");
  list(DiffStatus::kLeftOnly, "+ " + words.left_only + " (" + words.left_only_note + ")");
  list(DiffStatus::kRightOnly, "- " + words.right_only + " (" + words.right_only_note + ")");
  if (!report.has_differences()) std::cout << "\nNo differences.\n";
}

// ---- the command ---------------------------------------------------------------

void run_diff(const DiffArgs& args, Context& ctx) {
  int sources = !args.against.empty() + !args.live.empty() + args.kubectl;
  if (sources != 1) {
    throw Error(ErrorKind::kInvalidInput,
                sources == 0 ? "kix diff needs something to compare with"
                             : "--against, --live and --kubectl exclude each other",
                {}, "use one of --against REF, --live PATH or --kubectl [--context C]");
  }
  if (!args.context.empty() && !args.kubectl) {
    throw Error(ErrorKind::kInvalidInput, "--context only applies with --kubectl");
  }
  ClusterInput left = load_cluster_input(args.input, ctx);
  DiffReport report;
  std::string right_label;
  const Vocabulary* words = &kLiveWords;
  if (!args.against.empty()) {
    ClusterInput right = load_cluster_input(args.against, ctx);
    report = diff_builds(left.graph, right.graph);
    right_label = right.label;
    words = &kBuildWords;
  } else if (!args.live.empty()) {
    Diagnostics diags;
    std::vector<Manifest> live = load_manifests({args.live}, diags, live_parse_options());
    ctx.print_diagnostics(diags);
    report = diff_against_live(left.graph.manifests, live);
    right_label = args.live;
  } else {
    report = diff_against_live(left.graph.manifests, fetch_live(left.graph, args.context));
    right_label = args.context.empty() ? "cluster (current context)" : "cluster " + args.context;
  }
  const std::string left_label = left.label.empty() ? "." : left.label;
  if (args.format == "json") {
    std::cout << report_json(report, left_label, right_label, *words).dump(2) << "\n";
  } else if (args.format == "markdown") {
    print_markdown(report, left_label, right_label, *words);
  } else {
    print_text(report, left_label, right_label, *words, Colors{ctx.color_stdout});
  }
  ctx.exit_code = report.has_differences() ? kExitDifferent : kExitOk;
}

}  // namespace

void add_diff_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Compare a build with the live cluster or another build; exit 1 when they differ "
      "(docs/commands/diff.md)");
  add_cluster_input_option(cmd, args->input);
  cmd->add_option("--against", args->against, "Another build: a REF, a definition or manifests");
  cmd->add_option("--live", args->live,
                  "Live objects: a directory or file of `kubectl get -o yaml|json` output");
  cmd->add_flag("--kubectl", args->kubectl, "Read live objects with kubectl (KIX_KUBECTL or PATH)");
  cmd->add_option("--context", args->context, "kubectl context (with --kubectl)");
  add_format_option(cmd, args->format, {"text", "json", "markdown"});
  cmd->callback([args, &ctx] { run_diff(*args, ctx); });
}

}  // namespace kix::cli
