// `kix store diff A B`: what changed from A to B, in the same model and
// formats as `kix diff B --against A` (cli/diff_render.h).
#include <iostream>
#include <memory>

#include "cli/diff_render.h"
#include "cli/store_cli.h"
#include "store/ref.h"
#include "store/root_diff.h"

namespace kix::cli {

namespace {

struct DiffArgs {
  std::string a;
  std::string b;
  std::string format;
};

std::vector<Hash> node_set(Store& store, const ResolvedRef& r) {
  if (r.kind == ObjectKind::kRoot) return store.find_root(r.hash)->nodes;
  return {r.hash};
}

void run_diff(const DiffArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  auto snapshot = store.snapshot();
  ResolvedRef a = resolve_ref(store, args.a);
  ResolvedRef b = resolve_ref(store, args.b);
  // B is the new side, A the base: the same sides as `kix diff B --against A`.
  DiffReport report = diff_stored(store, node_set(store, b), node_set(store, a));
  print_diff(report, args.b, args.a, kBuildWords, args.format, Colors{ctx.color_stdout},
             ctx.utf8_output);
  ctx.exit_code = report.has_differences() ? kExitDifferent : kExitOk;
}

}  // namespace

void add_store_diff_command(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = store.add_subcommand(
      "diff",
      "Compare two roots (or nodes): what changed from A to B, as `kix diff B --against A`.\n"
      "Exit 0 when equal, 1 when different, 2 on error. Secret values are never printed.");
  cmd->add_option("A", args->a, "The old side: hash, NAME or NAME@N")->required();
  cmd->add_option("B", args->b, "The new side: hash, NAME or NAME@N")->required();
  add_format_option(cmd, args->format, {"text", "json", "markdown"});
  cmd->callback([args, &ctx] { run_diff(*args, ctx); });
}

}  // namespace kix::cli
