// Store maintenance: pin, unpin, gc, verify.
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "manifest/manifest.h"
#include "store/gc.h"
#include "store/ref.h"
#include "store/verify.h"

namespace kix::cli {

namespace {

void run_pin(const std::string& ref, bool pin, const std::string& format, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ResolvedRef r = resolve_ref(store, ref);
  const bool changed = pin ? store.pin(r.hash, r.kind, ctx.now()) : store.unpin(r.hash);
  if (format == "json") {
    std::cout << pretty_json(Json{{"type", object_kind_name(r.kind)},
                                  {"hash", r.hash.hex()},
                                  {"pinned", pin},
                                  {"changed", changed}})
              << "\n";
    return;
  }
  std::string what = std::string(object_kind_name(r.kind)) + " " + r.hash.hex();
  if (pin) {
    std::cout << (changed ? "pinned " : "already pinned ") << what << "\n";
  } else {
    std::cout << (changed ? "unpinned " : "was not pinned: ") << what << "\n";
  }
}

struct GcArgs {
  bool dry_run = false;
  int64_t keep_generations = 0;
  std::string older_than;
  std::string format;
};

void run_gc(const GcArgs& args, bool keep_given, Context& ctx) {
  GcOptions options;
  options.dry_run = args.dry_run;
  if (keep_given) options.keep_generations = args.keep_generations;
  if (!args.older_than.empty()) options.older_than_seconds = parse_duration(args.older_than);
  options.now = ctx.now();
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  GcResult r = store.collect_garbage(options);
  if (args.format == "json") {
    std::cout << pretty_json(Json{
                     {"dryRun", args.dry_run},
                     {"deleted",
                      {{"generations", r.generations},
                       {"roots", r.roots},
                       {"nodes", r.nodes},
                       {"blobs", r.blobs},
                       {"blobBytes", r.blob_bytes},
                       {"rawBytes", r.raw_bytes},
                       {"sources", r.sources},
                       {"sourceBytes", r.source_bytes}}},
                     {"kept",
                      {{"roots", r.kept_roots}, {"nodes", r.kept_nodes}, {"blobs", r.kept_blobs}}}})
              << "\n";
    return;
  }
  std::cout << (args.dry_run ? "would delete " : "deleted ") << r.generations << " generations, "
            << r.roots << " roots, " << r.nodes << " nodes, " << r.blobs << " blobs ("
            << human_bytes(r.blob_bytes) << " compressed, " << human_bytes(r.raw_bytes) << " raw)";
  if (r.sources > 0) {
    std::cout << ", " << r.sources << " sources (" << human_bytes(r.source_bytes) << ")";
  }
  std::cout << "\n"
            << "kept " << r.kept_roots << " roots, " << r.kept_nodes << " nodes, " << r.kept_blobs
            << " blobs\n";
}

const char* problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kCorruptBlob:
      return "corruptBlob";
    case ProblemKind::kMissingBlob:
      return "missingBlob";
    case ProblemKind::kBadNode:
      return "badNode";
    case ProblemKind::kWrongIdentity:
      return "wrongIdentity";
    case ProblemKind::kMissingNode:
      return "missingNode";
    case ProblemKind::kBadRoot:
      return "badRoot";
    case ProblemKind::kMissingRoot:
      return "missingRoot";
    case ProblemKind::kDatabase:
      return "database";
    case ProblemKind::kCorruptSource:
      return "corruptSource";
  }
  return "unknown";
}

void print_verify_json(const VerifyReport& report, bool ok) {
  Json problems = Json::array();
  for (const auto& p : report.problems) {
    problems.push_back(Json{{"kind", problem_kind_name(p.kind)},
                            {"object", p.object},
                            {"message", p.message},
                            {"affects", p.affects},
                            {"repaired", p.repaired},
                            {"repair", p.repair}});
  }
  std::cout << pretty_json(Json{{"ok", ok},
                                {"checked",
                                 {{"blobs", report.blobs},
                                  {"nodes", report.nodes},
                                  {"roots", report.roots},
                                  {"generations", report.generations},
                                  {"pins", report.pins},
                                  {"deployments", report.deployments},
                                  {"sealedSecrets", report.secrets},
                                  {"secretsNotOpened", report.secrets_unopened},
                                  {"sources", report.sources}}},
                                {"problems", problems}})
            << "\n";
}

struct VerifyArgs {
  bool repair = false;
  std::vector<std::string> from;
  std::string format;
};

void run_verify(const VerifyArgs& args, Context& ctx) {
  std::vector<Manifest> sources;
  if (!args.from.empty()) {
    if (!args.repair) {
      throw Error(ErrorKind::kInvalidInput, "--from is only used with --repair", {},
                  "run `kix store verify --repair --from PATH...`");
    }
    Diagnostics diags;
    sources = load_manifests(args.from, diags);
    // Sealed as `kix store add` seals them, so a Secret's blob can be restored.
    seal_manifests(sources, ctx.keys());
  }
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  VerifyOptions options;
  options.repair = args.repair;
  options.sources = &sources;
  options.keys = &ctx.keys();
  VerifyReport report = store.verify(options);
  size_t bad = 0;
  for (const auto& p : report.problems) bad += p.repaired ? 0 : 1;
  if (bad > 0) ctx.exit_code = kExitDifferent;
  if (args.format == "json") {
    print_verify_json(report, bad == 0);
    return;
  }

  Colors c{ctx.color_stdout};
  for (const auto& p : report.problems) {
    std::cout << (p.repaired ? c.yellow() : c.red()) << (p.repaired ? "repaired: " : "bad: ")
              << c.reset() << p.object << ": " << p.message << "\n";
    for (const auto& a : p.affects) std::cout << "  affects " << a << "\n";
    if (!p.repair.empty()) std::cout << "  " << p.repair << "\n";
  }
  std::cout << "checked " << report.blobs << " blobs, " << report.nodes << " nodes, "
            << report.roots << " roots, " << report.generations << " generations, " << report.pins
            << " pins";
  if (report.secrets > 0) {
    std::cout << ", " << report.secrets << " sealed Secrets";
    if (report.secrets_unopened > 0) {
      std::cout << " (" << report.secrets_unopened << " not opened: their key is not at "
                << ctx.keys().where() << ")";
    }
  }
  if (report.sources > 0) std::cout << ", " << report.sources << " sources";
  std::cout << ": ";
  if (bad == 0) {
    std::cout << c.green() << "ok" << c.reset();
    if (!report.problems.empty()) std::cout << " (" << report.problems.size() << " repaired)";
    std::cout << "\n";
  } else {
    std::cout << c.red() << bad << (bad == 1 ? " problem" : " problems") << c.reset() << "\n";
  }
}

}  // namespace

void add_store_maintenance_commands(CLI::App& store, Context& ctx) {
  for (bool pin : {true, false}) {
    auto ref = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto* cmd = store.add_subcommand(
        pin ? "pin" : "unpin",
        pin ? "Keep a root or node (and what it references) through gc" : "Remove a pin");
    cmd->add_option("REF", *ref, "A hash (8+ hex digits), NAME or NAME@N")->required();
    add_format_option(cmd, *format, {"text", "json"});
    cmd->callback([ref, format, pin, &ctx] { run_pin(*ref, pin, *format, ctx); });
  }

  auto gc = std::make_shared<GcArgs>();
  auto* gc_cmd = store.add_subcommand(
      "gc",
      "Delete what no kept generation or pin references. Without options every generation\n"
      "is kept; a cluster's current generation is always kept.");
  gc_cmd->add_flag("-n,--dry-run", gc->dry_run, "Report what would be deleted; delete nothing");
  auto* keep = gc_cmd
                   ->add_option("--keep-generations", gc->keep_generations,
                                "Keep each cluster's last N generations")
                   ->default_str("");  // unset means: keep every generation
  gc_cmd->add_option("--older-than", gc->older_than,
                     "Delete generations older than this (30d, 12h, 45m, 2w); with "
                     "--keep-generations, a generation is kept when either option keeps it");
  add_format_option(gc_cmd, gc->format, {"text", "json"});
  gc_cmd->callback([gc, keep, &ctx] { run_gc(*gc, keep->count() > 0, ctx); });

  auto verify = std::make_shared<VerifyArgs>();
  auto* verify_cmd = store.add_subcommand(
      "verify",
      "Re-hash every blob, node and root and name each bad object and what it affects\n"
      "(exit 1 when something is bad)");
  verify_cmd->add_flag("--repair", verify->repair,
                       "Fix what can be derived: rebuild identity columns, delete broken objects "
                       "nothing keeps, restore blobs from --from");
  verify_cmd->add_option("--from", verify->from,
                         "With --repair: manifests (files or directories) to restore corrupt "
                         "blobs from");
  add_format_option(verify_cmd, verify->format, {"text", "json"});
  verify_cmd->callback([verify, &ctx] { run_verify(*verify, ctx); });
}

}  // namespace kix::cli
