// `kix store deployments`: every recorded deploy, for audits ("what was
// deployed on March 15?"). docs/commands/store.md documents it.
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "store/gc.h"
#include "util/error.h"

namespace kix::cli {

namespace {

// "2026-03-15", "2026-03-15T10:30:00Z" (UTC), or an age such as "30d".
int64_t parse_since(const std::string& text, int64_t now) {
  for (const char* format : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  try {
    return now - parse_duration(text);
  } catch (const Error&) {
    throw Error(ErrorKind::kInvalidInput, "--since '" + text + "' is neither a date nor an age", {},
                "use 2026-03-15, 2026-03-15T10:30:00Z (UTC) or an age such as 30d or 12h");
  }
}

struct DeploymentsArgs {
  std::string cluster;
  std::string since;
  std::string format = "text";
};

struct Row {
  Deployment deployment;
  std::string revision;  // of the generation it deployed, when known
};

void run_deployments(const DeploymentsArgs& args, Context& ctx) {
  const std::optional<int64_t> since =
      args.since.empty() ? std::nullopt
                         : std::optional<int64_t>(parse_since(args.since, ctx.now()));
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  std::vector<std::string> clusters =
      args.cluster.empty() ? store.clusters() : std::vector<std::string>{args.cluster};
  if (!args.cluster.empty() && store.generations(args.cluster).empty()) {
    throw Error(ErrorKind::kNotFound, "no cluster named '" + args.cluster + "' in the store", {},
                "`kix store ls` lists the clusters");
  }
  std::vector<Row> rows;
  for (const std::string& cluster : clusters) {
    for (Deployment& d : store.deployments(cluster)) {
      if (since && d.time < *since) continue;
      std::string revision;
      if (d.generation) {
        if (auto g = store.generation(cluster, *d.generation)) revision = g->source_revision;
      }
      rows.push_back({std::move(d), std::move(revision)});
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.deployment.time < b.deployment.time;
  });
  if (args.format == "json") {
    Json out = Json::array();
    for (const Row& r : rows) {
      const Deployment& d = r.deployment;
      Json entry{{"cluster", d.cluster},
                 {"time", d.time},
                 {"root", d.root.hex()},
                 {"generation", d.generation ? Json(*d.generation) : Json(nullptr)},
                 {"context", d.context},
                 {"sourceRevision", r.revision},
                 {"outcome", d.partial ? "partial" : "complete"}};
      if (d.partial) {
        entry["wavesApplied"] = d.partial->waves_applied;
        entry["wavesTotal"] = d.partial->waves_total;
      }
      out.push_back(std::move(entry));
    }
    std::cout << pretty_json(out) << "\n";
    return;
  }
  if (rows.empty()) {
    std::cout << "no deploys recorded" << (since ? " since then" : "") << "\n";
    return;
  }
  for (const Row& r : rows) {
    const Deployment& d = r.deployment;
    std::cout << format_local_time(d.time) << "  " << d.cluster;
    if (d.generation) std::cout << "@" << *d.generation;
    std::cout << "  " << d.root.hex().substr(0, 12) << "  "
              << (d.context.empty() ? "(current context)" : d.context);
    if (!r.revision.empty()) std::cout << "  [" << r.revision << "]";
    if (d.partial) {
      std::cout << "  partial: " << d.partial->waves_applied << " of " << d.partial->waves_total
                << " waves";
    }
    std::cout << "\n";
  }
}

}  // namespace

void add_store_deployments_command(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<DeploymentsArgs>();
  auto* cmd = store.add_subcommand(
      "deployments",
      "List every recorded deploy, oldest first: time, generation, root, context, "
      "revision, and whether it stopped part-way");
  cmd->add_option("NAME", args->cluster, "Only this cluster");
  cmd->add_option("--since", args->since,
                  "Only deploys since a date (2026-03-15, 2026-03-15T10:30:00Z) or an age (30d)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_deployments(*args, ctx); });
}

}  // namespace kix::cli
