// `kix store` and `kix store add`; the other store subcommands live in
// cli/store_*.cc. docs/commands/store.md documents them all.
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/progress.h"
#include "cli/store_add_chart.h"
#include "cli/store_cli.h"
#include "cli/version.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "manifest/result_dir.h"
#include "store/ingest.h"
#include "store/sqlite_store.h"
#include "util/error.h"

namespace kix::cli {

std::unique_ptr<Store> open_store(const Context& ctx) {
  std::unique_ptr<SqliteStore> store = SqliteStore::open(ctx.store_dir(), &ctx.keys());
  if (auto problem = store->permission_problem()) {
    Diagnostics diags;
    diags.warn({}, *problem);
    ctx.print_diagnostics(diags);
  }
  return store;
}

std::string format_local_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  return std::string(buf, n);
}

std::string human_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string describe(const StoredNode& node) {
  return node.id.display();
}

namespace {

struct AddArgs {
  std::vector<std::string> paths;
  std::string cluster;
  std::string message;
  std::string source_revision;
  bool pin = false;
  bool reread = false;
  ChartAddArgs chart;  // --chart and its options
  std::string format;
};

void print_graph_warnings(const std::vector<std::string>& warnings, const Context& ctx) {
  Diagnostics diags;
  for (const auto& w : warnings) diags.warn({}, w);
  ctx.print_diagnostics(diags);
}

// What to add: a result directory as it was written (its recorded edges
// and cluster name), or plain manifests with inferred references.
struct AddInput {
  Graph graph;
  std::optional<std::string> root_cluster;  // a result directory's
  std::string result_dir;
  std::vector<Hash> sources;  // a chart's archive
  // Plain manifests: read incrementally; their graph, and the source of
  // the bytes it elided.
  std::unique_ptr<Ingest> ingest;
  size_t memory_budget_bytes = 1u << 20;  // KIX_INGEST_MEMORY_BUDGET
};

AddInput read_add_input(const AddArgs& args, Context& ctx) {
  Diagnostics diags;
  AddInput input;
  if (!args.chart.chart.empty()) {
    if (!args.paths.empty()) {
      throw Error(ErrorKind::kInvalidInput, "--chart adds a chart alone", {},
                  "run one `kix store add` for the chart and one for the manifests");
    }
    ChartAddInput chart = read_chart_input(args.chart, ctx);
    input.graph = std::move(chart.graph);
    input.sources.push_back(chart.source);
    print_graph_warnings(input.graph.warnings, ctx);
    return input;
  }
  if (args.paths.empty()) {
    throw Error(ErrorKind::kInvalidInput, "nothing to add", {},
                "give files, directories or - for stdin, or --chart");
  }
  try {
    for (const auto& p : args.paths) {
      if (p == "-" || !is_result_dir(p)) continue;
      if (args.paths.size() != 1) {
        throw Error(ErrorKind::kInvalidInput, p + " is a kix result directory; add it on its own",
                    {}, "run one `kix store add` per result directory");
      }
      ResultDir result = read_result_dir(p, diags, &ctx.keys());
      input.graph = std::move(result.graph);
      input.root_cluster = result.cluster;
      input.result_dir = p;
      ctx.print_diagnostics(diags);
      return input;
    }
    IngestOptions options;
    options.cache_file = ctx.store_dir() / "ingest-cache";
    options.reread = args.reread;
    if (auto budget = ctx.env().get_nonempty("KIX_INGEST_MEMORY_BUDGET")) {
      // Bytes of canonical manifests held in memory before the spool
      // (docs/store.md, "Incremental add"); mostly for tests.
      char* end = nullptr;
      unsigned long long bytes = std::strtoull(budget->c_str(), &end, 10);
      if (end == budget->c_str() || *end != '\0') {
        throw Error(ErrorKind::kInvalidInput,
                    "KIX_INGEST_MEMORY_BUDGET is not a number of bytes: " + *budget, {},
                    "set it to a whole number such as 4194304, or unset it");
      }
      options.memory_budget_bytes = static_cast<size_t>(bytes);
      input.memory_budget_bytes = options.memory_budget_bytes;
    }
    if (auto budget = ctx.env().get_nonempty("KIX_WORKING_MEMORY")) {
      // What an add keeps resident per resource before it spills
      // (docs/store.md, "Incremental add").
      char* end = nullptr;
      unsigned long long bytes = std::strtoull(budget->c_str(), &end, 10);
      if (end == budget->c_str() || *end != '\0' ||
          !std::isdigit(static_cast<unsigned char>(budget->front())) || bytes < (1u << 20) ||
          bytes > (16ull << 30)) {
        throw Error(ErrorKind::kInvalidInput,
                    "KIX_WORKING_MEMORY is not a number of bytes from 1 MiB to 16 GiB: " + *budget,
                    {}, "set it to a whole number such as 16777216, or unset it");
      }
      options.working_memory_bytes = static_cast<size_t>(bytes);
    }
    // The version names the reader; the constant changes whenever what a
    // file is cached as changes (parsing, reference facts), so that builds
    // of one version with different readers never trust each other.
    options.version_tag = std::string("kix ") + kVersion + "; ingest " + kIngestFormat;
    options.keys = &ctx.keys();
    Progress progress(ctx);
    options.progress = [&](size_t done, size_t total) {
      progress.update("reading files " + with_thousands(done) + "/" + with_thousands(total));
    };
    input.ingest = ingest_manifests(args.paths, diags, options);
    progress.clear();
    ctx.print_diagnostics(diags);
    diags.clear();
    if (input.ingest->graph().size() == 0) {
      std::string where;
      for (const auto& p : args.paths) where += (where.empty() ? "" : ", ") + p;
      throw Error(ErrorKind::kInvalidInput, "no manifests found in " + where, {},
                  "kix reads *.yaml, *.yml and *.json files (directories recursively) or - for "
                  "stdin");
    }
  } catch (...) {
    ctx.print_diagnostics(diags);
    throw;
  }
  print_graph_warnings(input.ingest->graph().warnings(), ctx);
  return input;
}

void run_add(const AddArgs& args, bool has_cluster, Context& ctx) {
  // Everything that can fail on bad input happens before the store is
  // opened, so a bad input never touches it.
  AddInput input = read_add_input(args, ctx);
  const ManifestGraphView whole(input.graph);  // a chart's or a result directory's
  const GraphView& graph =
      input.ingest ? static_cast<const GraphView&>(input.ingest->graph()) : whole;

  AddOptions options;
  options.root_cluster = input.root_cluster;
  if (has_cluster) options.cluster = args.cluster;
  options.message = args.message;
  options.source_revision = args.source_revision;
  options.time = ctx.now();
  options.pin = args.pin;
  options.sources = input.sources;
  options.blob_source = input.ingest.get();
  options.memory_budget_bytes = input.memory_budget_bytes;
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  AddResult r = store.add(graph, options);
  if (input.ingest) {
    // The store has every blob now; a cache that cannot be written only
    // costs the next add a full read.
    try {
      input.ingest->save_cache();
    } catch (const Error& e) {
      Diagnostics warning;
      warning.warn({}, "the stat cache was not saved: " + e.message(), e.hint());
      ctx.print_diagnostics(warning);
    } catch (const std::exception& e) {
      // The add is committed; a cache it could not write (OpenSSL failing
      // to hash it, memory) only costs the next add a full read.
      Diagnostics warning;
      warning.warn({}, std::string("the stat cache was not saved: ") + e.what());
      ctx.print_diagnostics(warning);
    }
  }
  if (input.root_cluster && has_cluster && *input.root_cluster != args.cluster) {
    Diagnostics note;
    note.note({}, "the root keeps the cluster name '" + *input.root_cluster + "' that " +
                      input.result_dir + " was written with; the generation is recorded in '" +
                      args.cluster + "'");
    ctx.print_diagnostics(note);
  }
  if (!has_cluster && !args.pin) {
    Diagnostics note;
    note.note({},
              "added without --cluster: no generation was recorded, so `kix store gc` "
              "collects this root unless it is pinned (kix store pin)");
    ctx.print_diagnostics(note);
  }

  if (args.format == "json") {
    Json out{{"root", r.root.hex()},
             {"resources", r.resources},
             {"newBlobs", r.new_blobs},
             {"reusedBlobs", r.reused_blobs},
             {"newNodes", r.new_nodes},
             {"canonicalBytes", r.raw_bytes},
             {"writtenBytes", r.written_bytes},
             {"files", nullptr},
             {"generation", nullptr},
             {"pinned", args.pin}};
    if (input.ingest) {
      const IngestStats& s = input.ingest->stats();
      out["files"] = {{"total", s.files}, {"read", s.read_files}, {"unchanged", s.cached_files}};
    }
    if (r.generation) out["generation"] = {{"cluster", args.cluster}, {"number", *r.generation}};
    std::cout << pretty_json(out) << "\n" << std::flush;
    return;
  }
  std::cout << "added " << r.resources << (r.resources == 1 ? " resource" : " resources") << ": "
            << r.new_blobs << " new blobs, " << r.reused_blobs << " reused, " << r.new_nodes
            << " new nodes; " << human_bytes(r.raw_bytes) << " canonical, "
            << human_bytes(r.written_bytes) << " written\n";
  if (input.ingest) {
    const IngestStats& s = input.ingest->stats();
    std::cout << "read " << s.read_files << " of " << s.files << (s.files == 1 ? " file" : " files")
              << "; " << s.cached_files << " unchanged since an earlier add\n";
  }
  if (r.generation) std::cout << "generation " << args.cluster << "@" << *r.generation << "\n";
  if (args.pin) std::cout << (r.pinned ? "pinned" : "already pinned") << " root\n";
  std::cout << r.root.hex() << "\n" << std::flush;
}

void add_add_command(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<AddArgs>();
  auto* cmd = store.add_subcommand(
      "add",
      "Add manifests (files, directories, - for stdin) to the store; prints a summary and the\n"
      "root hash as the last line. With --cluster, records a new generation of that cluster.\n"
      "A result directory (kix build -o, kix rollback -o) is added as the root that wrote it.");
  cmd->add_option("PATH", args->paths, "Files or directories to read; - reads stdin");
  cmd->add_option("--chart", args->chart.chart,
                  "A Helm chart to render and add instead: oci://registry/path/NAME, NAME with "
                  "--repo, or a .tgz path");
  cmd->add_option("--repo", args->chart.repo, "The HTTP(S) chart repository of --chart NAME");
  cmd->add_option("--version", args->chart.version, "The chart's version");
  cmd->add_option("--values", args->chart.values, "A YAML or JSON file of values for the chart");
  cmd->add_option(
      "-n,--namespace", args->chart.ns,
      "Namespace of the chart's namespaced resources that name none (default: default)");
  cmd->add_option("--release", args->chart.release, "Release name (default: the chart's name)");
  cmd->add_option("--sha256", args->chart.sha256,
                  "The chart archive's SHA-256, when kix.lock does not pin it");
  cmd->add_option("--lock", args->chart.lock,
                  "The lock file that pins the chart (default: kix.lock)");
  cmd->add_flag("--update-lock", args->chart.update_lock,
                "Record the chart's current digest in the lock file when it is not pinned");
  cmd->add_flag("--insecure", args->chart.insecure,
                "Allow plain HTTP to chart repositories that are not on this machine");
  auto* cluster = cmd->add_option("--cluster", args->cluster,
                                  "Cluster name: hashes the root with it and records a generation");
  cmd->add_option("-m,--message", args->message, "Message recorded with the generation");
  cmd->add_option("--source-revision", args->source_revision,
                  "Source revision (e.g. a git commit) recorded with the generation");
  cmd->add_flag("--reread", args->reread,
                "Read and parse every file, even those the stat cache knows unchanged");
  cmd->add_flag("--pin", args->pin,
                "Also pin the root (in the same transaction), so gc keeps it without a generation");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, cluster, &ctx] { run_add(*args, cluster->count() > 0, ctx); });
}

}  // namespace

void add_store_commands(CLI::App& app, Context& ctx) {
  auto* store = app.add_subcommand(
      "store",
      "The content-addressed store: add, inspect, diff, roll back, pin, gc, verify, export, "
      "push and pull through OCI registries, deploy records");
  store->require_subcommand(1);
  add_add_command(*store, ctx);
  add_store_query_commands(*store, ctx);
  add_store_diff_command(*store, ctx);
  add_store_maintenance_commands(*store, ctx);
  add_store_archive_commands(*store, ctx);
  add_store_oci_commands(*store, ctx);
  add_store_deployments_command(*store, ctx);
  add_rollback_command(*store, ctx);
  add_rollback_command(app, ctx);
}

}  // namespace kix::cli
