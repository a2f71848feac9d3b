// `kix canary`: run a changed Deployment beside the current one
// (compiler/canary.h), then promote or abort it. Each step is a generation
// of the cluster, so `kix deploy NAME` carries it out and prunes what the
// step before had. docs/commands/canary.md documents it.
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/compiler_cli.h"
#include "cli/source_revision.h"
#include "cli/store_cli.h"
#include "compiler/canary.h"
#include "compiler/cluster_definition.h"
#include "compiler/schema_validator.h"
#include "manifest/result_dir.h"
#include "util/error.h"

namespace kix::cli {
namespace {

struct CanaryArgs {
  std::string path = ".";
  std::string base;
  std::optional<int> replicas;
  std::optional<int> weight;
  std::string gateway;
  std::vector<std::string> hostnames;
  std::string out;
  std::string format = "text";
  std::string message;
  std::string source_revision;
  bool promote = false;
  bool abort = false;
  bool locked = false;
  bool insecure = false;
};

// The additions must be valid Kubernetes objects like everything kix
// builds (the HTTPRoute's schema is schema/gateway-api.json).
void validate_additions(const Graph& additions, Context& ctx) {
  SchemaValidator validator(schema_dir(ctx));
  for (const Manifest& m : additions.manifests) {
    for (const SchemaViolation& v : validator.validate(m.value)) {
      throw Error(
          ErrorKind::kInvalidInput,
          "the canary's " + m.id.display() + " is not valid: " + v.message + " at " + v.pointer, {},
          "check the options given to kix canary (--gateway, --hostname)");
    }
  }
}

Json workloads_json(const compiler::Canary& canary) {
  Json list = Json::array();
  for (const compiler::CanaryWorkload& w : canary.workloads) {
    Json services = Json::array();
    for (const ResourceId& s : w.services) services.push_back(s.display());
    list.push_back({{"base", w.base.display()},
                    {"canary", w.copy.display()},
                    {"hash", w.hash},
                    {"baseReplicas", w.base_replicas},
                    {"replicas", w.replicas},
                    {"services", services}});
  }
  return list;
}

void print_canary(const compiler::Canary& canary, const CanaryArgs& args,
                  const std::string& cluster, const AddResult& added, const std::string& out,
                  Context& ctx) {
  if (args.format == "json") {
    Json additions = Json::array();
    for (const Manifest& m : canary.additions.manifests) additions.push_back(m.id.display());
    std::cout << pretty_json(Json{
                     {"cluster", cluster},
                     {"base", args.base},
                     {"mode", args.replicas ? "replicas" : "weight"},
                     {"weight", args.weight ? Json(*args.weight) : Json(nullptr)},
                     {"workloads", workloads_json(canary)},
                     {"additions", additions},
                     {"shared", canary.graph.manifests.size() - canary.additions.manifests.size()},
                     {"leftOut", canary.left_out},
                     {"generation", added.generation ? Json(*added.generation) : Json(nullptr)},
                     {"root", added.root.hex()},
                     {"output", out}})
              << "\n";
    return;
  }
  Colors c{ctx.color_stdout};
  std::cout << "canary of " << c.bold() << cluster << c.reset() << " against " << args.base
            << ":\n";
  for (const compiler::CanaryWorkload& w : canary.workloads) {
    std::cout << "  " << c.green() << w.copy.display() << c.reset() << ": " << w.replicas
              << " replica" << (w.replicas == 1 ? "" : "s") << " beside " << w.base.display()
              << " (" << w.base_replicas << ")";
    for (const ResourceId& s : w.services) {
      if (args.weight) {
        std::cout << ", " << *args.weight << "% of " << s.display() << " through HTTPRoute/"
                  << s.name << "-" << w.hash;
      } else {
        std::cout << ", behind " << s.display() << " (" << w.replicas << " of "
                  << w.replicas + w.base_replicas << " pods)";
      }
    }
    std::cout << "\n";
  }
  for (const std::string& left : canary.left_out)
    std::cout << "  not in the canary: " << left << "\n";
  std::cout << "shared with the base, unchanged: "
            << canary.graph.manifests.size() - canary.additions.manifests.size() << " resources\n";
  std::cout << "recorded generation " << added.generation.value_or(0) << " of " << cluster
            << ": the base and the canary; `kix deploy " << cluster << "` starts it\n";
  std::cout << "wrote the " << canary.additions.manifests.size() << " added manifest"
            << (canary.additions.manifests.size() == 1 ? "" : "s") << " to " << out << "\n";
  std::cout << added.root.hex() << "\n";
}

CompileFlags flags_of(const CanaryArgs& args) {
  CompileFlags flags;
  flags.locked = args.locked;
  flags.insecure = args.insecure;
  return flags;
}

std::string default_revision(const CanaryArgs& args) {
  return args.source_revision.empty() ? git_revision(args.path) : args.source_revision;
}

void run_canary(const CanaryArgs& args, Context& ctx) {
  if (args.base.empty()) {
    throw Error(ErrorKind::kInvalidInput, "kix canary needs --base: the root that keeps running",
                {}, "give a REF of the store, e.g. --base my-homelab (its latest generation)");
  }
  compiler::Compilation working;
  if (!compile_definition(args.path, ctx, working, nullptr, flags_of(args))) return;
  ClusterInput base = load_cluster_input(args.base, ctx);
  compiler::CanaryOptions options;
  options.replicas = args.replicas;
  options.weight = args.weight;
  if (auto slash = args.gateway.find('/'); slash != std::string::npos) {
    options.gateway_namespace = args.gateway.substr(0, slash);
    options.gateway = args.gateway.substr(slash + 1);
  } else {
    options.gateway = args.gateway;
  }
  options.hostnames = args.hostnames;
  compiler::Canary canary = compiler::make_canary(working.graph, base.graph, options);
  validate_additions(canary.additions, ctx);

  const std::string out = args.out.empty() ? "result-canary" : args.out;
  check_result_dir(out);
  std::unique_ptr<Store> store = open_store(ctx);
  AddOptions add;
  add.cluster = working.cluster;
  add.message = args.message.empty() ? "kix canary against " + args.base : args.message;
  add.source_revision = default_revision(args);
  add.time = ctx.now();
  AddResult added;
  const std::string additions_name = working.cluster + ".canary";
  write_result_dir(out, canary.additions, additions_name, canary.additions.root(additions_name),
                   [&] { added = store->add(canary.graph, add); });
  print_canary(canary, args, working.cluster, added, out, ctx);
  ctx.exit_code = kExitOk;
}

// The cluster's latest generation, which must be a canary.
struct CurrentCanary {
  Generation generation;
  Graph graph;
  std::vector<size_t> added;
};

CurrentCanary current_canary(Store& store, const std::string& cluster) {
  std::vector<Generation> generations = store.generations(cluster);
  if (generations.empty()) {
    throw Error(ErrorKind::kNotFound,
                "cluster " + cluster + " has no generations in " + store.describe(), {},
                "make a canary first: kix canary --base " + cluster + " --replicas 1");
  }
  CurrentCanary current{generations.back(), store.load_graph(generations.back().root).graph, {}};
  current.added = compiler::canary_resources(current.graph);
  if (current.added.empty()) {
    throw Error(
        ErrorKind::kInvalidInput,
        "generation " + std::to_string(current.generation.number) + " of " + cluster +
            " is not a canary: none of its resources is labelled " + compiler::kCanaryLabel,
        {}, "kix store log " + cluster + " shows the generations; make a canary with kix canary");
  }
  return current;
}

void record(Store& store, const Graph& graph, const std::string& cluster,
            const std::string& message, const CanaryArgs& args, Context& ctx, AddResult& added) {
  AddOptions add;
  add.cluster = cluster;
  add.message = args.message.empty() ? message : args.message;
  add.source_revision = default_revision(args);
  add.time = ctx.now();
  if (args.out.empty()) {
    added = store.add(graph, add);
    return;
  }
  check_result_dir(args.out);
  write_result_dir(args.out, graph, cluster, graph.root(cluster),
                   [&] { added = store.add(graph, add); });
}

void print_step(const char* what, const std::string& cluster, const CurrentCanary& current,
                const AddResult& added, const CanaryArgs& args) {
  if (args.format == "json") {
    Json removed = Json::array();
    for (size_t i : current.added) removed.push_back(current.graph.manifests[i].id.display());
    std::cout << pretty_json(Json{
                     {"cluster", cluster},
                     {"canaryGeneration", current.generation.number},
                     {"removed", removed},
                     {"generation", added.generation ? Json(*added.generation) : Json(nullptr)},
                     {"root", added.root.hex()}})
              << "\n";
    return;
  }
  std::cout << what << " the canary of generation " << current.generation.number
            << ": recorded generation " << added.generation.value_or(0) << " of " << cluster
            << "; `kix deploy " << cluster << "` deletes the canary's " << current.added.size()
            << " resource" << (current.added.size() == 1 ? "" : "s") << ":\n";
  for (size_t i : current.added)
    std::cout << "  " << current.graph.manifests[i].id.display() << "\n";
  std::cout << added.root.hex() << "\n";
}

// The working tree becomes the cluster's generation, after checking that
// it is what the canary runs.
void run_promote(const CanaryArgs& args, Context& ctx) {
  compiler::Compilation working;
  if (!compile_definition(args.path, ctx, working, nullptr, flags_of(args))) return;
  std::unique_ptr<Store> store = open_store(ctx);
  CurrentCanary current = current_canary(*store, working.cluster);
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < working.graph.manifests.size(); ++k) {
    index[working.graph.manifests[k].id.key()] = k;
  }
  for (size_t i : current.added) {
    const Manifest& m = current.graph.manifests[i];
    if (m.id.kind != "Deployment") continue;
    const std::string hash =
        m.value["metadata"]["labels"][compiler::kCanaryLabel].get<std::string>();
    const std::string of =
        m.value["metadata"]["annotations"].value(compiler::kCanaryOfAnnotation, "");
    ResourceId target{m.id.api_version, m.id.kind, m.id.ns, of};
    auto it = index.find(target.key());
    const std::string now =
        it == index.end() ? "" : working.graph.nodes[it->second].hex().substr(0, hash.size());
    if (now != hash) {
      throw Error(ErrorKind::kConflict,
                  "the working tree is not what the canary runs: " + target.display() + " is " +
                      (now.empty() ? "gone" : "now " + now) + ", the canary " + m.id.display() +
                      " runs " + hash,
                  {},
                  "promote the tree the canary was made from, or make a new canary of this one");
    }
  }
  AddResult added;
  record(*store, working.graph, working.cluster, "kix canary --promote", args, ctx, added);
  print_step("promoted", working.cluster, current, added, args);
  ctx.exit_code = kExitOk;
}

// The base again: the canary's generation without what it added.
void run_abort(const CanaryArgs& args, Context& ctx) {
  Diagnostics diags;
  const std::string cluster = compiler::load_cluster_definition(args.path, diags).name;
  std::unique_ptr<Store> store = open_store(ctx);
  CurrentCanary current = current_canary(*store, cluster);
  Graph base = compiler::without(current.graph, current.added);
  AddResult added;
  record(*store, base, cluster, "kix canary --abort", args, ctx, added);
  print_step("aborted", cluster, current, added, args);
  ctx.exit_code = kExitOk;
}

}  // namespace

void add_canary_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CanaryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "canary",
      "Run a changed Deployment beside the current one with a share of replicas or of a "
      "Gateway's traffic; promote or abort it (docs/commands/canary.md)");
  cmd->add_option("definition", args->path,
                  "A cluster.yaml, or a directory holding one (default: .)");
  cmd->add_option("--base", args->base, "The root that keeps running: a REF (NAME, NAME@N, hash)");
  cmd->add_option("--replicas", args->replicas,
                  "Run N canary pods behind the same Services as the current ones");
  cmd->add_option("--weight", args->weight,
                  "Send P percent (1-99) of a Gateway's traffic to the canary (Gateway API "
                  "HTTPRoute weights); needs --gateway");
  cmd->add_option("--gateway", args->gateway, "With --weight: the Gateway, NAME or NAMESPACE/NAME");
  cmd->add_option("--hostname", args->hostnames, "With --weight: a hostname of the HTTPRoute");
  cmd->add_option("-o,--output", args->out,
                  "Result directory: only what the canary adds (default: ./result-canary); with "
                  "--promote or --abort, the new generation (default: none written)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->add_option("-m,--message", args->message, "Message recorded with the generation");
  cmd->add_option("--source-revision", args->source_revision,
                  "Source revision recorded with the generation (default: `git rev-parse HEAD`)");
  cmd->add_flag("--promote", args->promote,
                "Record the working tree, which the canary runs, as the cluster's generation");
  cmd->add_flag("--abort", args->abort, "Record the base again, without what the canary added");
  cmd->add_flag("--locked", args->locked, "Require kix.lock, and every image in it");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP to chart repositories that are not on this machine");
  cmd->callback([args, &ctx] {
    if (args->promote && args->abort) {
      throw Error(ErrorKind::kInvalidInput, "--promote and --abort exclude each other");
    }
    if (args->promote || args->abort) {
      if (!args->base.empty() || args->replicas || args->weight) {
        throw Error(ErrorKind::kInvalidInput,
                    std::string(args->promote ? "--promote" : "--abort") +
                        " takes no --base, --replicas or --weight",
                    {}, "they act on the canary recorded as the cluster's latest generation");
      }
      return args->promote ? run_promote(*args, ctx) : run_abort(*args, ctx);
    }
    if (!args->weight && (!args->gateway.empty() || !args->hostnames.empty())) {
      throw Error(ErrorKind::kInvalidInput, "--gateway and --hostname go with --weight");
    }
    run_canary(*args, ctx);
  });
}

}  // namespace kix::cli
