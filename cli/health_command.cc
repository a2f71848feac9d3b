// `kix health FILE|-`: the health of live objects, offline
// (docs/commands/health.md).
#include <iostream>
#include <memory>

#include "cli/cluster_cli.h"
#include "cli/store_cli.h"
#include "cluster/health.h"
#include "cluster/kubectl.h"

namespace kix::cli {

namespace {

struct HealthArgs {
  std::vector<std::string> paths;
  std::string format = "text";
};

void run_health(const HealthArgs& args, Context& ctx) {
  Diagnostics diags;
  std::vector<Manifest> live = load_manifests(args.paths, diags, live_parse_options());
  ctx.print_diagnostics(diags);
  bool all_well = true;
  Json out = Json::array();
  Colors c{ctx.color_stdout};
  for (const Manifest& m : live) {
    Health h = evaluate_health(m.value);
    all_well =
        all_well && (h.status == HealthStatus::kHealthy || h.status == HealthStatus::kSuspended);
    if (args.format == "json") {
      out.push_back({{"apiVersion", m.id.api_version},
                     {"kind", m.id.kind},
                     {"namespace", m.id.ns},
                     {"name", m.id.name},
                     {"status", health_status_name(h.status)},
                     {"reason", h.reason}});
      continue;
    }
    const char* colour = h.status == HealthStatus::kHealthy    ? c.green()
                         : h.status == HealthStatus::kDegraded ? c.red()
                                                               : c.yellow();
    std::cout << m.id.display() << "  " << colour << health_status_name(h.status) << c.reset()
              << (h.reason.empty() ? "" : "  " + h.reason) << "\n";
  }
  if (args.format == "json") std::cout << pretty_json(out) << "\n";
  ctx.exit_code = all_well ? kExitOk : kExitDifferent;
}

}  // namespace

void add_health_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<HealthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "health",
      "The health of live objects (kubectl get -o json|yaml output): Healthy, Progressing, "
      "Degraded, Suspended, Unknown; exit 1 unless all are Healthy or Suspended "
      "(docs/commands/health.md)");
  cmd->add_option("FILE", args->paths, "kubectl output (a List or documents); - reads stdin")
      ->required();
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_health(*args, ctx); });
}

}  // namespace kix::cli
