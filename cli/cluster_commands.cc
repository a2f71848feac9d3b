// `kix plan`, and the registration of the cluster commands (diff, plan,
// deploy). docs/commands/plan.md documents the output.
#include <algorithm>
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/deploy_history.h"
#include "cli/store_cli.h"
#include "cluster/deploy.h"
#include "cluster/replace.h"
#include "manifest/references.h"
#include "manifest/secret_sources.h"
#include "manifest/waves.h"
#include "util/suggest.h"

namespace kix::cli {
namespace {

struct PlanArgs {
  std::string input;
  std::string format;
  std::string context;
};

// The RequiredSecrets and GeneratedSecrets of a build, in wave order, with
// what references each (manifest/secret_sources.h).
struct PlannedSecret {
  size_t wave = 0;
  size_t index = 0;
  SecretSource source;
  std::vector<size_t> used_by;  // indices of the resources that reference it
};

std::vector<PlannedSecret> planned_secrets(const Graph& graph,
                                           const std::vector<std::vector<size_t>>& waves) {
  std::vector<PlannedSecret> out;
  // Who reads a Secret: the graph's edges, and the references Kubernetes
  // implies (a compiled consumer may reach it only through another
  // instance's `out`, so its edge goes to that instance's resource).
  std::vector<std::vector<InferredRef>> inferred;
  bool any = std::any_of(graph.manifests.begin(), graph.manifests.end(),
                         [](const Manifest& m) { return is_secret_source(m.id); });
  if (any) inferred = infer_references(graph.manifests);
  for (size_t w = 0; w < waves.size(); ++w) {
    for (size_t i : waves[w]) {
      const Manifest& m = graph.manifests[i];
      if (!is_secret_source(m.id)) continue;
      PlannedSecret planned{w, i, read_secret_source(m.value, m.location), {}};
      for (size_t j = 0; j < graph.refs.size(); ++j) {
        bool uses = std::find(graph.refs[j].begin(), graph.refs[j].end(), i) != graph.refs[j].end();
        for (const InferredRef& ref : inferred[j]) uses = uses || ref.to == i;
        if (uses) planned.used_by.push_back(j);
      }
      out.push_back(std::move(planned));
    }
  }
  return out;
}

Json secret_json(const Graph& graph, const PlannedSecret& planned) {
  const SecretSource& source = planned.source;
  Json used_by = Json::array();
  for (size_t j : planned.used_by) {
    const ResourceId& id = graph.manifests[j].id;
    used_by.push_back({{"kind", id.kind}, {"namespace", id.ns}, {"name", id.name}});
  }
  Json out = {{"kind", source.id.kind},
              {"namespace", source.id.ns},
              {"name", source.id.name},
              {"wave", planned.wave},
              {"node", graph.nodes[planned.index].hex()},
              {"usedBy", std::move(used_by)}};
  if (!source.generated) {
    out["keys"] = source.keys;
    out["description"] = source.description;
    return out;
  }
  out["type"] = source.type;
  Json keys = Json::array();
  for (const GeneratedValue& v : source.values) {
    Json key = {{"key", v.key}};
    if (v.fixed) {
      key["fixed"] = true;
    } else {
      key["length"] = v.length;
      key["alphabet"] = v.alphabet_name;
      key["entropyBits"] = static_cast<long>(v.entropy_bits());
    }
    keys.push_back(std::move(key));
  }
  out["keys"] = std::move(keys);
  return out;
}

Json plan_json(const Graph& graph, const std::vector<std::vector<size_t>>& waves) {
  Json out = {{"waves", Json::array()}, {"secrets", Json::array()}, {"helmTests", Json::array()}};
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (!is_helm_test(graph.manifests[i].value)) continue;
    const ResourceId& id = graph.manifests[i].id;
    out["helmTests"].push_back({{"kind", id.kind}, {"namespace", id.ns}, {"name", id.name}});
  }
  for (const PlannedSecret& planned : planned_secrets(graph, waves)) {
    out["secrets"].push_back(secret_json(graph, planned));
  }
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
  std::vector<std::string> tests;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (is_helm_test(graph.manifests[i].value)) tests.push_back(graph.manifests[i].id.display());
  }
  if (!tests.empty()) {
    std::cout << "\n" << c.bold() << "Helm tests (not deployed)" << c.reset() << "\n";
    for (const std::string& t : tests) std::cout << "  " << t << "\n";
  }
  std::vector<PlannedSecret> secrets = planned_secrets(graph, waves);
  if (secrets.empty()) return;
  std::cout << "\n" << c.bold() << "Secrets kix does not hold" << c.reset() << "\n";
  for (const PlannedSecret& planned : secrets) {
    const SecretSource& source = planned.source;
    std::cout << "  " << (source.generated ? "generated " : "required  ") << "Secret/"
              << source.id.name << " @ " << source.id.ns << "  ";
    if (!source.generated) {
      std::cout << "keys " << join_names(source.keys);
    } else {
      std::string recipe;
      for (const GeneratedValue& v : source.values) {
        recipe += (recipe.empty() ? "" : ", ") + v.key +
                  (v.fixed ? std::string(" (fixed)")
                           : " (" + std::to_string(v.length) + " " + v.alphabet_name + ")");
      }
      std::cout << "keys " << recipe;
    }
    std::string users;
    for (size_t j : planned.used_by) {
      users += (users.empty() ? "" : ", ") + graph.manifests[j].id.display();
    }
    if (!users.empty()) std::cout << c.dim() << "  used by " << users << c.reset();
    std::cout << "\n";
    if (!source.generated && !source.description.empty()) {
      std::cout << "      " << source.description << "\n";
    }
  }
  std::cout << c.dim()
            << "  kix deploy checks that they exist before the first wave and creates the "
               "generated ones that do not."
            << c.reset() << "\n";
}

void run_plan(const PlanArgs& args, Context& ctx) {
  ClusterInput input = load_cluster_input(args.input, ctx);
  auto waves = plan_waves(input.graph);
  // What an update cannot change, against the root deployed last through
  // this context (docs/commands/deploy.md, "Immutable fields").
  std::vector<DeployedBefore> before = deployed_before(input, args.context, ctx);
  std::vector<Replacement> replacements;
  if (!before.empty()) replacements = find_replacements(input.graph, before.back().graph);
  if (args.format == "json") {
    Json out = plan_json(input.graph, waves);
    out["requiresReplace"] = Json::array();
    for (const Replacement& r : replacements) {
      out["requiresReplace"].push_back({{"apiVersion", r.id.api_version},
                                        {"kind", r.id.kind},
                                        {"namespace", r.id.ns},
                                        {"name", r.id.name},
                                        {"paths", r.paths}});
    }
    if (input.checks_known) {
      out["checks"] = Json::array();
      for (const CheckJob& check : input.checks) {
        out["checks"].push_back({{"name", check.name},
                                 {"job", check.manifest["metadata"]["name"]},
                                 {"namespace", check.manifest["metadata"]["namespace"]}});
      }
    }
    std::cout << pretty_json(out) << "\n";
  } else {
    Colors c{ctx.color_stdout};
    print_plan_text(input, waves, c);
    if (!input.checks.empty()) {
      std::cout << "\nAfter the last wave, kix test (or kix deploy --test) checks:\n";
      for (const CheckJob& check : input.checks) {
        std::cout << "  " << check.name << "  " << c.dim() << "(Job "
                  << check.manifest["metadata"]["name"].get<std::string>() << " @ "
                  << check.manifest["metadata"]["namespace"].get<std::string>() << ")" << c.reset()
                  << "\n";
      }
    }
    if (!replacements.empty()) {
      std::cout << "\n"
                << c.red() << c.bold() << "Requires replace" << c.reset()
                << " (an immutable field changed since " << before.back().label
                << "; kix deploy stops unless --replace):\n";
      for (const Replacement& r : replacements) {
        std::cout << "  " << r.id.display() << ":";
        for (const std::string& p : r.paths) std::cout << " " << p;
        std::cout << "\n";
      }
    }
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
  cmd->add_option("--context", args->context,
                  "kubectl context whose last deploy the plan compares with (immutable fields)");
  cmd->callback([args, &ctx] { run_plan(*args, ctx); });
}

void add_cluster_commands(CLI::App& app, Context& ctx) {
  add_diff_command(app, ctx);
  add_plan_command(app, ctx);
  add_deploy_command(app, ctx);
  add_health_command(app, ctx);
  add_preview_command(app, ctx);
  add_canary_command(app, ctx);
  add_test_command(app, ctx);
}

}  // namespace kix::cli
