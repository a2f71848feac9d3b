// Read-only store commands: clusters, ls, show, cat, log, closure, why-depends.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_set>

#include "cli/store_cli.h"
#include "manifest/secrets.h"
#include "manifest/yaml_writer.h"
#include "store/dependency_paths.h"
#include "store/ref.h"
#include "util/error.h"

namespace kix::cli {

namespace {

struct RefArgs {
  std::string ref;
  std::string format;
};

// The nodes a REF stands for: a root's nodes, or a node and what it reaches.
std::vector<Hash> nodes_of(Store& store, const ResolvedRef& r) {
  if (r.kind == ObjectKind::kRoot) return store.find_root(r.hash)->nodes;
  return store.closure({r.hash});
}

std::vector<StoredNode> sorted_by_identity(std::vector<StoredNode> nodes) {
  std::sort(nodes.begin(), nodes.end(), [](const StoredNode& a, const StoredNode& b) {
    return std::tie(a.id.ns, a.id.kind, a.id.name, a.id.api_version) <
           std::tie(b.id.ns, b.id.kind, b.id.name, b.id.api_version);
  });
  return nodes;
}

Json node_json(const StoredNode& n) {
  return Json{{"node", n.hash.hex()}, {"blob", n.blob.hex()}, {"apiVersion", n.id.api_version},
              {"kind", n.id.kind},    {"namespace", n.id.ns}, {"name", n.id.name}};
}

Json generation_json(const Generation& g, bool current) {
  return Json{{"cluster", g.cluster}, {"number", g.number},   {"root", g.root.hex()},
              {"time", g.time},       {"message", g.message}, {"sourceRevision", g.source_revision},
              {"current", current}};
}

// --- clusters ---------------------------------------------------------------------

void run_clusters(const std::string& format, Context& ctx) {
  std::unique_ptr<Store> store = open_store(ctx);
  auto snapshot = store->snapshot();
  Json out = Json::array();
  std::string text;
  for (const std::string& name : store->clusters()) {
    size_t count = store->generations(name).size();
    std::optional<Generation> current = store->current_generation(name);
    out.push_back(Json{{"cluster", name},
                       {"generations", count},
                       {"current", current ? generation_json(*current, true) : Json()}});
    text += name + "  " + std::to_string(count) + (count == 1 ? " generation" : " generations");
    if (current) {
      text += ", current " + std::to_string(current->number) + "  " +
              current->root.hex().substr(0, 12) + "  " + format_local_time(current->time);
    }
    text += "\n";
  }
  if (format == "json") {
    std::cout << pretty_json(out) << "\n" << std::flush;
  } else {
    std::cout << text << std::flush;
  }
}

// --- ls -------------------------------------------------------------------------

void run_ls(const RefArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef r = resolve_ref(store, args.ref);
  auto nodes = sorted_by_identity(store.load_nodes(nodes_of(store, r)));
  if (args.format == "json") {
    Json out = Json::array();
    for (const auto& n : nodes) out.push_back(node_json(n));
    std::cout << pretty_json(out) << "\n";
    return;
  }
  size_t w_api = 0, w_kind = 0, w_ns = 1;
  for (const auto& n : nodes) {
    w_api = std::max(w_api, n.id.api_version.size());
    w_kind = std::max(w_kind, n.id.kind.size());
    w_ns = std::max(w_ns, n.id.ns.size());
  }
  std::string out;
  for (const auto& n : nodes) {
    auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size(), ' '); };
    out += n.hash.hex() + "  " + n.blob.hex() + "  " + pad(n.id.api_version, w_api) + "  " +
           pad(n.id.kind, w_kind) + "  " + pad(n.id.ns.empty() ? "-" : n.id.ns, w_ns) + "  " +
           n.id.name + "\n";
  }
  std::cout << out << std::flush;
}

// --- show -----------------------------------------------------------------------

bool is_pinned(Store& store, const Hash& h) {
  auto pins = store.pins();
  return std::any_of(pins.begin(), pins.end(), [&](const Pin& p) { return p.hash == h; });
}

void show_root(Store& store, const Hash& hash, const std::string& format) {
  StoredRoot root = *store.find_root(hash);
  auto gens = store.generations_of_root(hash);
  auto nodes = store.load_nodes(root.nodes);
  std::map<std::string, size_t> kinds;
  for (const auto& n : nodes) ++kinds[n.id.kind];
  bool pinned = is_pinned(store, hash);
  if (format == "json") {
    Json out{{"type", "root"},          {"root", hash.hex()},
             {"cluster", root.cluster}, {"resources", root.nodes.size()},
             {"pinned", pinned},        {"kinds", kinds}};
    out["generations"] = Json::array();
    for (const auto& g : gens) {
      // Current when it is its cluster's newest generation (which may be
      // of another root: then this root is history).
      std::optional<Generation> newest = store.current_generation(g.cluster);
      bool current = newest && newest->number == g.number;
      out["generations"].push_back(generation_json(g, current));
    }
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::cout << "root        " << hash.hex() << "\n"
            << "cluster     " << (root.cluster.empty() ? "(none)" : root.cluster) << "\n"
            << "resources   " << root.nodes.size() << "\n"
            << "pinned      " << (pinned ? "yes" : "no") << "\n"
            << "generations";
  if (gens.empty()) std::cout << " (none)";
  for (const auto& g : gens) {
    std::cout << "\n  " << g.cluster << "@" << g.number << "  " << format_local_time(g.time)
              << (g.message.empty() ? "" : "  " + g.message);
  }
  std::cout << "\nkinds";
  for (const auto& [kind, count] : kinds) std::cout << "\n  " << count << "  " << kind;
  std::cout << "\n";
}

void show_node(Store& store, const Hash& hash, const std::string& format) {
  StoredNode node = *store.find_node(hash);
  auto out_refs = store.refs_from(hash);
  auto in_refs = store.refs_to(hash);
  bool pinned = is_pinned(store, hash);
  auto describe_hash = [&](const Hash& h) {
    auto n = store.find_node(h);
    return n ? describe(*n) : std::string("(missing node)");
  };
  if (format == "json") {
    Json out = node_json(node);
    out["type"] = "node";
    out["pinned"] = pinned;
    out["references"] = Json::array();
    for (const auto& r : out_refs) {
      out["references"].push_back(
          {{"node", r.to.hex()}, {"resource", describe_hash(r.to)}, {"reason", r.reason}});
    }
    out["referencedBy"] = Json::array();
    for (const auto& r : in_refs) {
      out["referencedBy"].push_back(
          {{"node", r.from.hex()}, {"resource", describe_hash(r.from)}, {"reason", r.reason}});
    }
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::cout << "node        " << hash.hex() << "\n"
            << "resource    " << describe(node) << "\n"
            << "apiVersion  " << node.id.api_version << "\n"
            << "blob        " << node.blob.hex() << "\n"
            << "pinned      " << (pinned ? "yes" : "no") << "\n"
            << "references (" << out_refs.size() << ")";
  for (const auto& r : out_refs) {
    std::cout << "\n  " << r.to.hex() << "  " << describe_hash(r.to)
              << (r.reason.empty() ? "" : "  (" + r.reason + ")");
  }
  std::cout << "\nreferenced by (" << in_refs.size() << ")";
  for (const auto& r : in_refs) {
    std::cout << "\n  " << r.from.hex() << "  " << describe_hash(r.from)
              << (r.reason.empty() ? "" : "  (" + r.reason + ")");
  }
  std::cout << "\n";
}

void run_show(const RefArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef r = resolve_ref(store, args.ref);
  if (r.kind == ObjectKind::kRoot) {
    show_root(store, r.hash, args.format);
  } else {
    show_node(store, r.hash, args.format);
  }
}

// --- cat ------------------------------------------------------------------------

void run_cat(const RefArgs& args, bool show_secrets, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef r = resolve_ref(store, args.ref);
  if (r.kind != ObjectKind::kNode) {
    throw Error(
        ErrorKind::kInvalidInput, "'" + args.ref + "' is a root, not a resource", {},
        "`kix store ls " + args.ref + "` lists its resources; cat one of their node hashes");
  }
  const Hash blob = store.find_node(r.hash)->blob;
  Json manifest;
  if (show_secrets) {
    // The values, opened with the secret key (an error names it when absent).
    Manifest m = store.load_manifest(blob, &ctx.keys(), "node " + r.hash.hex());
    if (!m.values_known) {
      unseal(m.value, blob, *m.sealed, ctx.keys());  // throws, naming the missing key
    }
    manifest = std::move(m.value);
  } else {
    manifest = redact_secret_values(store.read_manifest(blob));
  }
  std::cout << (args.format == "json" ? pretty_json(manifest) + "\n" : to_yaml(manifest))
            << std::flush;
}

// --- log ------------------------------------------------------------------------

void run_log(const RefArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  auto gens = store.generations(args.ref);
  if (gens.empty()) {
    resolve_ref(store, args.ref);  // throws "no cluster named ..." with suggestions
    throw Error(ErrorKind::kInvalidInput, "'" + args.ref + "' is not a cluster name", {},
                "`kix store log NAME` takes a cluster name");
  }
  // The generation of the last recorded `kix deploy`, if it still exists,
  // and whether it stopped part-way.
  std::optional<int64_t> deployed;
  std::optional<Deployment::Partial> partial;
  if (auto last = store.last_deployment(args.ref)) {
    deployed = last->generation;
    partial = last->partial;
  }
  const std::string deployed_word =
      partial ? "deployed partially: " + std::to_string(partial->waves_applied) + " of " +
                    std::to_string(partial->waves_total) + " waves"
              : "deployed";
  if (args.format == "json") {
    Json out = Json::array();
    for (size_t i = 0; i < gens.size(); ++i) {
      out.push_back(generation_json(gens[i], i + 1 == gens.size()));
      out.back()["deployed"] = deployed == gens[i].number;
      if (deployed == gens[i].number && partial) {
        out.back()["partial"] = {{"wavesApplied", partial->waves_applied},
                                 {"wavesTotal", partial->waves_total}};
      }
    }
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::string out;
  for (size_t i = 0; i < gens.size(); ++i) {
    const auto& g = gens[i];
    out += std::to_string(g.number) + "  " + g.root.hex() + "  " + format_local_time(g.time);
    if (!g.message.empty()) out += "  " + g.message;
    if (!g.source_revision.empty()) out += "  [" + g.source_revision + "]";
    const bool current = i + 1 == gens.size();
    const bool is_deployed = deployed == g.number;
    if (current && is_deployed) {
      out += "  (current, " + deployed_word + ")";
    } else if (current) {
      out += "  (current)";
    } else if (is_deployed) {
      out += "  (" + deployed_word + ")";
    }
    out += "\n";
  }
  std::cout << out << std::flush;
}

// --- closure and why-depends ----------------------------------------------------

void run_closure(const RefArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef r = resolve_ref(store, args.ref);
  std::vector<Hash> start =
      r.kind == ObjectKind::kRoot ? store.find_root(r.hash)->nodes : std::vector<Hash>{r.hash};
  std::vector<StoredNode> nodes = store.load_nodes(store.closure(start));
  if (args.format == "json") {
    Json out = Json::array();
    for (const auto& n : nodes) out.push_back(node_json(n));
    std::cout << pretty_json(out) << "\n";
    return;
  }
  std::string out;
  for (const auto& n : nodes) out += n.hash.hex() + "  " + describe(n) + "\n";
  std::cout << out << std::flush;
}

void print_why_depends_json(Store& store, const ResolvedRef& from, const ResolvedRef& to,
                            const DependencyPaths& found) {
  const bool depends =
      from.kind == ObjectKind::kRoot ? found.root_contains_target : !found.paths.empty();
  Json paths = Json::array();
  if (depends) {
    for (const auto& path : found.paths) {
      Json edges = Json::array();
      for (const auto& edge : path) {
        edges.push_back(
            Json{{"from", edge.from.hex()}, {"to", edge.to.hex()}, {"reason", edge.reason}});
      }
      paths.push_back(edges);
    }
  }
  Json from_json = from.kind == ObjectKind::kRoot
                       ? Json{{"type", "root"}, {"root", from.hash.hex()}}
                       : node_json(*store.find_node(from.hash));
  std::cout << pretty_json(Json{{"from", from_json},
                                {"to", node_json(*store.find_node(to.hash))},
                                {"depends", depends},
                                {"paths", paths},
                                {"truncated", found.truncated}})
            << "\n";
}

void run_why_depends(const std::string& from_ref, const std::string& to_ref,
                     const std::string& format, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef from = resolve_ref(store, from_ref);
  ResolvedRef to = resolve_ref(store, to_ref);
  if (to.kind != ObjectKind::kNode) {
    throw Error(ErrorKind::kInvalidInput,
                "'" + to_ref + "' is a root; why-depends needs a node as B", {},
                "`kix store ls` lists a root's node hashes");
  }
  DependencyPaths found = dependency_paths(store, from.hash, from.kind, to.hash);
  if (format == "json") {
    print_why_depends_json(store, from, to, found);
    const bool depends =
        from.kind == ObjectKind::kRoot ? found.root_contains_target : !found.paths.empty();
    if (!depends) ctx.exit_code = kExitDifferent;
    return;
  }
  if (from.kind == ObjectKind::kRoot) {
    std::cout << "root " << from.hash.hex()
              << (found.root_contains_target ? " contains " : " does not contain ")
              << describe(*store.find_node(to.hash)) << " (node " << to.hash.hex() << ")\n";
    if (!found.root_contains_target) {
      ctx.exit_code = kExitDifferent;
      return;
    }
  } else if (found.paths.empty()) {
    std::cout << describe(*store.find_node(from.hash)) << " does not depend on "
              << describe(*store.find_node(to.hash)) << "\n";
    ctx.exit_code = kExitDifferent;
    return;
  }
  std::string out;
  for (const auto& path : found.paths) {
    out += describe(*store.find_node(path.front().from)) + "  " +
           path.front().from.hex().substr(0, 12) + "\n";
    std::string indent = "  ";
    for (const auto& edge : path) {
      out += indent + "-> " + describe(*store.find_node(edge.to)) + "  " +
             edge.to.hex().substr(0, 12) + (edge.reason.empty() ? "" : "  (" + edge.reason + ")") +
             "\n";
      indent += "  ";
    }
  }
  if (found.truncated) {
    out += "(showing the first " + std::to_string(found.paths.size()) + " paths)\n";
  }
  std::cout << out << std::flush;
}

CLI::App* ref_command(CLI::App& store, const char* name, const char* help,
                      std::shared_ptr<RefArgs> args, std::vector<std::string> formats) {
  auto* cmd = store.add_subcommand(name, help);
  cmd->add_option("REF", args->ref, "A hash (8+ hex digits), NAME or NAME@N")->required();
  add_format_option(cmd, args->format, std::move(formats));
  return cmd;
}

}  // namespace

void add_store_query_commands(CLI::App& store, Context& ctx) {
  auto clusters_format = std::make_shared<std::string>();
  auto* clusters = store.add_subcommand(
      "clusters", "List the store's clusters: generations, and the current one's number and root");
  add_format_option(clusters, *clusters_format, {"text", "json"});
  clusters->callback([clusters_format, &ctx] { run_clusters(*clusters_format, ctx); });

  auto ls = std::make_shared<RefArgs>();
  ref_command(store, "ls", "List the resources of a root (or a node's closure)", ls,
              {"text", "json"})
      ->callback([ls, &ctx] { run_ls(*ls, ctx); });

  auto show = std::make_shared<RefArgs>();
  ref_command(store, "show", "Describe a root (cluster, generations, counts) or a node", show,
              {"text", "json"})
      ->callback([show, &ctx] { run_show(*show, ctx); });

  auto cat = std::make_shared<RefArgs>();
  auto show_secrets = std::make_shared<bool>(false);
  auto* cat_cmd = ref_command(store, "cat",
                              "Print a resource's manifest (Secret values are redacted unless "
                              "--show-secrets)",
                              cat, {"yaml", "json"});
  cat_cmd->add_flag("--show-secrets", *show_secrets,
                    "Print Secret data and stringData values (needs the secret key that sealed "
                    "them)");
  cat_cmd->callback([cat, show_secrets, &ctx] { run_cat(*cat, *show_secrets, ctx); });

  auto log = std::make_shared<RefArgs>();
  auto* log_cmd = store.add_subcommand("log", "List a cluster's generations, oldest first");
  log_cmd->add_option("NAME", log->ref, "Cluster name")->required();
  add_format_option(log_cmd, log->format, {"text", "json"});
  log_cmd->callback([log, &ctx] { run_log(*log, ctx); });

  auto closure = std::make_shared<RefArgs>();
  auto* closure_cmd = store.add_subcommand("closure", "Print every node reachable from REF");
  closure_cmd->add_option("REF", closure->ref, "A hash (8+ hex digits), NAME or NAME@N")
      ->required();
  add_format_option(closure_cmd, closure->format, {"text", "json"});
  closure_cmd->callback([closure, &ctx] { run_closure(*closure, ctx); });

  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto* why = store.add_subcommand("why-depends",
                                   "Show the reference paths from A to node B, with the reason "
                                   "for each edge (exit 1 when there is none)");
  why->add_option("A", *from, "A root or node REF")->required();
  why->add_option("B", *to, "A node REF")->required();
  auto why_format = std::make_shared<std::string>();
  add_format_option(why, *why_format, {"text", "json"});
  why->callback([from, to, why_format, &ctx] { run_why_depends(*from, *to, *why_format, ctx); });
}

}  // namespace kix::cli
