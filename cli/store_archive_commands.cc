// `kix store export` and `kix store import`: closures as one archive file.
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "manifest/manifest.h"
#include "store/archive.h"
#include "store/ref.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace kix::cli {

namespace {

struct ExportArgs {
  std::vector<std::string> refs;
  std::string output;
};

void run_export(const ExportArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  std::vector<Hash> roots, nodes;
  {
    auto snapshot = store.snapshot();
    for (const auto& ref : args.refs) {
      ResolvedRef r = resolve_ref(store, ref);
      (r.kind == ObjectKind::kRoot ? roots : nodes).push_back(r.hash);
    }
  }
  std::string bytes = write_archive(export_closure(store, roots, nodes));
  // Never half written: a sibling temporary file, fsynced, renamed over FILE.
  write_file_atomically(args.output, bytes, 0600);
  std::cout << "exported " << roots.size() << " roots and " << nodes.size() << " nodes with their "
            << "closure to " << args.output << " (" << human_bytes(bytes.size()) << ")\n";
}

void run_import(const std::string& path, bool pin, Context& ctx) {
  // Everything is checked before the store is opened.
  Closure contents = read_archive(read_input(path), {}, &ctx.keys());
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ImportResult r = store.import_closure(contents, ImportOptions{pin, ctx.now()});
  std::cout << "imported " << contents.roots().size() << " roots (" << r.roots << " new), "
            << contents.nodes().size() << " nodes (" << r.nodes << " new), " << r.new_blobs
            << " new blobs, " << r.reused_blobs << " reused\n";
  for (const auto& root : contents.roots()) {
    std::cout << root.hash.hex() << (pin ? "  pinned" : "") << "\n";
  }
}

}  // namespace

void add_store_archive_commands(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<ExportArgs>();
  auto* exp = store.add_subcommand(
      "export", "Write the closure of roots or nodes to one archive (tar + zstd)");
  exp->add_option("REF", args->refs, "Roots or nodes: hash, NAME or NAME@N")->required();
  exp->add_option("-o,--output", args->output, "The archive file to write")->required();
  exp->callback([args, &ctx] { run_export(*args, ctx); });

  auto path = std::make_shared<std::string>();
  auto pin = std::make_shared<bool>(false);
  auto* imp = store.add_subcommand(
      "import", "Check an archive written by `kix store export` and add everything in it");
  imp->add_option("FILE", *path, "The archive; - reads stdin")->required();
  imp->add_flag("--pin", *pin, "Pin the imported roots (otherwise gc may collect them)");
  imp->callback([path, pin, &ctx] { run_import(*path, *pin, ctx); });
}

}  // namespace kix::cli
