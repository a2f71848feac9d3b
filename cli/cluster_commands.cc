// `kix plan`, and the registration of the cluster commands (diff, plan,
// deploy). docs/commands/plan.md documents the output.
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/store_cli.h"
#include "cluster/waves.h"

namespace kix::cli {
namespace {

struct PlanArgs {
  std::string input;
  std::string format;
};

Json plan_json(const Graph& graph, const std::vector<std::vector<size_t>>& waves) {
  Json out = {{"waves", Json::array()}};
  for (size_t w = 0; w < waves.size(); ++w) {
    Json resources = Json::array();
    for (size_t i : waves[w]) {
      const ResourceId& id = graph.manifests[i].id;
      Json refs = Json::array();
      for (size_t r : graph.refs[i]) refs.push_back(graph.nodes[r].hex());
      resources.push_back({{"node", graph.nodes[i].hex()},
                           {"apiVersion", id.api_version},
                           {"kind", id.kind},
                           {"namespace", id.ns},
                           {"name", id.name},
                           {"refs", std::move(refs)}});
    }
    out["waves"].push_back({{"wave", w}, {"resources", std::move(resources)}});
  }
  return out;
}

void print_plan_text(const ClusterInput& input, const std::vector<std::vector<size_t>>& waves,
                     const Colors& c) {
  const Graph& graph = input.graph;
  std::cout << c.bold() << "Deploy plan for " << input.label << c.reset() << ": "
            << graph.manifests.size() << " resources in " << waves.size() << " waves\n";
  for (size_t w = 0; w < waves.size(); ++w) {
    std::cout << "\n" << c.bold() << "wave " << w << c.reset() << "\n";
    for (size_t i : waves[w]) {
      std::cout << "  " << graph.manifests[i].id.display() << "  " << c.dim()
                << graph.nodes[i].hex().substr(0, 12) << c.reset() << "\n";
    }
  }
}

void run_plan(const PlanArgs& args, Context& ctx) {
  ClusterInput input = load_cluster_input(args.input, ctx);
  auto waves = plan_waves(input.graph);
  if (args.format == "json") {
    std::cout << plan_json(input.graph, waves).dump(2) << "\n";
  } else {
    print_plan_text(input, waves, Colors{ctx.color_stdout});
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void add_plan_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Print the deploy waves: every resource after what it references (docs/commands/plan.md)");
  add_cluster_input_option(cmd, args->input);
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_plan(*args, ctx); });
}

void add_cluster_commands(CLI::App& app, Context& ctx) {
  add_diff_command(app, ctx);
  add_plan_command(app, ctx);
  add_deploy_command(app, ctx);
}

}  // namespace kix::cli
