// `kix graph`: the compiled resources and their provenance edges, as
// Graphviz dot, JSON, or SVG (through Graphviz's `dot`).
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <vector>

#include "cli/compiler_cli.h"
#include "cli/dependency_tree.h"
#include "cli/store_cli.h"
#include "compiler/compilation.h"
#include "util/process.h"

namespace kix::cli {

namespace {

struct GraphArgs {
  std::string path = ".";
  std::string format = "dot";
};

std::string instance_name(const compiler::Compilation& c, size_t i) {
  return i == compiler::kNoInstance ? std::string() : c.instances[i].decl.qualified();
}

Json graph_json(const compiler::Compilation& c) {
  Json nodes = Json::array(), edges = Json::array();
  const Graph& g = c.graph;
  for (size_t i = 0; i < g.manifests.size(); ++i) {
    const ResourceId& id = g.manifests[i].id;
    nodes.push_back({{"node", g.nodes[i].hex()},
                     {"apiVersion", id.api_version},
                     {"kind", id.kind},
                     {"namespace", id.ns},
                     {"name", id.name},
                     {"instance", instance_name(c, c.resources[i].instance)}});
    for (size_t k = 0; k < g.refs[i].size(); ++k) {
      edges.push_back({{"from", g.nodes[i].hex()},
                       {"to", g.nodes[g.refs[i][k]].hex()},
                       {"reason", g.ref_reasons[i][k]}});
    }
  }
  return {{"cluster", c.cluster},
          {"root", g.root(c.cluster).hex()},
          {"nodes", nodes},
          {"edges", edges}};
}

// A DOT string of `lines`: each line's quotes and backslashes escaped, the
// lines joined by DOT's own line break escape (\n), which dot draws as a
// new line centred under the one before.
std::string dot_quote(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\\n";
    for (char ch : lines[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      if (ch == '\n' || ch == '\r') continue;
      out += ch;
    }
  }
  return out + "\"";
}

std::string dot_quote(const std::string& s) {
  return dot_quote(std::vector<std::string>{s});
}

// Resources grouped in one box per instance; edges point from a resource
// to what it references.
std::string graph_dot(const compiler::Compilation& c) {
  const Graph& g = c.graph;
  std::map<std::string, std::vector<size_t>> by_instance;
  for (size_t i = 0; i < g.manifests.size(); ++i)
    by_instance[instance_name(c, c.resources[i].instance)].push_back(i);
  std::string out = "digraph " + dot_quote(c.cluster) +
                    " {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n";
  size_t cluster_index = 0;
  for (const auto& [instance, members] : by_instance) {
    std::string indent = "  ";
    if (!instance.empty()) {
      out += "  subgraph cluster_" + std::to_string(cluster_index++) +
             " {\n    label=" + dot_quote(instance) + ";\n";
      indent = "    ";
    }
    for (size_t i : members) {
      const ResourceId& id = g.manifests[i].id;
      out += indent + dot_quote(g.nodes[i].hex().substr(0, 12)) +
             " [label=" + dot_quote({id.kind, id.name}) + "];\n";
    }
    if (!instance.empty()) out += "  }\n";
  }
  for (size_t i = 0; i < g.manifests.size(); ++i) {
    for (size_t to : g.refs[i]) {
      out += "  " + dot_quote(g.nodes[i].hex().substr(0, 12)) + " -> " +
             dot_quote(g.nodes[to].hex().substr(0, 12)) + ";\n";
    }
  }
  return out + "}\n";
}

// Renders through Graphviz with the same process interface as kubectl
// (no shell involved), so a failure shows dot's own message.
void print_svg(const std::string& dot, const Context& ctx) {
  std::optional<std::string> program = find_in_path("dot", ctx.env().get("PATH").value_or(""));
  if (!program) {
    throw Error(ErrorKind::kNotFound, "--format svg needs Graphviz's `dot` on PATH", {},
                "install graphviz, or use --format dot and render it elsewhere");
  }
  SystemProcessRunner runner;
  ProcessResult result = runner.run({*program, "-Tsvg"}, dot);
  if (result.exit_code != 0) {
    while (!result.err.empty() && result.err.back() == '\n') result.err.pop_back();
    throw Error(ErrorKind::kIo,
                "`dot -Tsvg` failed (exit " + std::to_string(result.exit_code) + "): " + result.err,
                {}, "render the output of --format dot with your own Graphviz to see more");
  }
  std::cout << result.out;
}

void run_graph(const GraphArgs& args, Context& ctx) {
  compiler::Compilation c;
  if (!compile_definition(args.path, ctx, c)) return;
  if (args.format == "json") {
    std::cout << pretty_json(graph_json(c)) << "\n";
  } else if (args.format == "tree") {
    std::cout << dependency_tree(c, ctx.utf8_output);
  } else if (args.format == "svg") {
    print_svg(graph_dot(c), ctx);
  } else {
    std::cout << graph_dot(c);
  }
}

}  // namespace

void add_graph_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<GraphArgs>();
  CLI::App* cmd = app.add_subcommand(
      "graph",
      "Print the compiled resources, grouped by instance, with their reference edges; or, with\n"
      "--format tree, the instances' dependency tree and how each need was resolved");
  cmd->add_option("definition", args->path,
                  "A cluster.yaml, or a directory holding one (default: .)");
  add_format_option(cmd, args->format, {"dot", "json", "svg", "tree"});
  cmd->callback([args, &ctx] { run_graph(*args, ctx); });
}

}  // namespace kix::cli
