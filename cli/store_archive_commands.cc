// `kix store export` and `kix store import`: closures as one archive file.
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "cli/store_transfer.h"
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
  HistoryChoice history;
  std::string format;
};

void run_export(const ExportArgs& args, Context& ctx) {
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  Closure closure = export_closure(store, export_request(store, args.refs, args.history));
  std::string bytes = write_archive(closure);
  // Never half written: a sibling temporary file, fsynced, renamed over FILE.
  write_file_atomically(args.output, bytes, 0600);
  if (args.format == "json") {
    Json roots = Json::array();
    for (const auto& root : closure.roots()) roots.push_back(root.hash.hex());
    std::cout << pretty_json(Json{{"file", args.output},
                                  {"bytes", bytes.size()},
                                  {"roots", roots},
                                  {"nodes", closure.nodes().size()},
                                  {"history", history_to_json(closure.history())}})
              << "\n";
    return;
  }
  std::cout << "exported " << closure.roots().size() << " roots and " << closure.nodes().size()
            << " nodes";
  if (!closure.history().empty()) std::cout << " with " << describe_history(closure.history());
  std::cout << " to " << args.output << " (" << human_bytes(bytes.size()) << ")\n";
}

struct ImportArgs {
  std::string path;
  bool pin = false;
  std::optional<std::string> as;
  std::string format;
};

void run_import(const ImportArgs& args, Context& ctx) {
  // Everything is checked before the store is opened.
  Closure contents = read_archive(read_input(args.path), {}, &ctx.keys());
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ImportOptions options;
  options.pin = args.pin;
  options.time = ctx.now();
  options.history_as = args.as;
  ImportResult r = store.import_closure(contents, options);
  if (args.format == "json") {
    std::cout << pretty_json(import_json(contents, r, args.pin)) << "\n";
  } else {
    print_import(contents, r, args.pin);
  }
}

}  // namespace

void add_store_archive_commands(CLI::App& store, Context& ctx) {
  auto args = std::make_shared<ExportArgs>();
  auto* exp = store.add_subcommand(
      "export", "Write the closure of roots or nodes to one archive (tar + zstd)");
  exp->add_option("REF", args->refs,
                  "Roots or nodes: hash, NAME or NAME@N (NAME carries its history)")
      ->required();
  exp->add_option("-o,--output", args->output, "The archive file to write")->required();
  add_history_options(*exp, args->history);
  add_format_option(exp, args->format, {"text", "json"});
  exp->callback([args, &ctx] { run_export(*args, ctx); });

  auto iargs = std::make_shared<ImportArgs>();
  auto* imp = store.add_subcommand(
      "import",
      "Check an archive written by `kix store export` and add everything in it, history merged");
  imp->add_option("FILE", iargs->path, "The archive; - reads stdin")->required();
  imp->add_flag("--pin", iargs->pin, "Pin the imported roots (otherwise gc may collect them)");
  imp->add_option("--as", iargs->as,
                  "Bring the cluster's history in under this name (when it conflicts with one "
                  "already here)");
  add_format_option(imp, iargs->format, {"text", "json"});
  imp->callback([iargs, &ctx] { run_import(*iargs, ctx); });
}

}  // namespace kix::cli
