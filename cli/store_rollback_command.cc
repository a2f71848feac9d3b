// `kix rollback REF [-o DIR]` (= `kix store rollback`): makes a root its
// cluster's current generation again and writes its result directory.
#include <iostream>
#include <memory>

#include "cli/store_cli.h"
#include "manifest/result_dir.h"
#include "store/ref.h"
#include "util/error.h"

namespace kix::cli {

namespace {

struct RollbackArgs {
  std::string ref;
  std::string out = "result";
  std::string format;
};

void run_rollback(const RollbackArgs& args, Context& ctx) {
  check_result_dir(args.out);
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ResolvedRef r = resolve_root_ref(store, args.ref);
  RootGraph loaded = store.load_graph(r.hash, &ctx.keys());
  // Secrets sealed with a key that is not here cannot be written: they are
  // withheld (manifest/result_dir.h), and the rollback is not recorded.
  std::vector<const Manifest*> withheld;
  for (const Manifest& m : loaded.graph.manifests) {
    if (!m.values_known) withheld.push_back(&m);
  }

  // The history it goes back in: the one the REF named, else the newest
  // generation with this root, else the cluster the root is hashed with.
  std::optional<Generation> target = r.generation;
  if (!target) {
    auto gens = store.generations_of_root(r.hash);
    if (!gens.empty()) target = gens.back();
  }
  std::string history = target ? target->cluster : loaded.cluster;
  std::string message = target ? "rollback to generation " + std::to_string(target->number)
                               : "rollback to root " + r.hash.hex().substr(0, 12);
  std::optional<Generation> recorded;
  // Secrets are written in full: this output is what gets applied.
  write_result_dir(args.out, loaded.graph, loaded.cluster, r.hash, [&] {
    if (history.empty() || !withheld.empty()) return;
    recorded = store.append_generation({history, r.hash, message, "", ctx.now()});
  });
  if (!withheld.empty()) {
    const size_t written = loaded.graph.manifests.size() - withheld.size();
    // With --format json, stdout is for the result only: the list goes
    // to stderr beside the error.
    std::ostream& report = args.format == "json" ? std::cerr : std::cout;
    report << "wrote " << written << " of " << loaded.graph.manifests.size() << " manifests to "
           << args.out << "; withheld " << withheld.size() << " Secret(s):\n";
    for (const Manifest* m : withheld) report << "  " << m->id.display() << "\n";
    report << std::flush;
    const std::string key = withheld.front()->sealed->key_id;
    throw Error(ErrorKind::kNotFound,
                "the Secrets of root " + r.hash.hex().substr(0, 12) +
                    " are sealed with secret key " + key + ", which is not at " +
                    ctx.keys().where() + "; no generation was recorded",
                {},
                "copy the key file with id " + key +
                    " there (or point KIX_SECRET_KEY_FILE at it) and run `kix rollback " +
                    args.ref + "` again (docs/secrets.md)");
  }

  if (args.format == "json") {
    Json generation;
    if (recorded) {
      generation = {
          {"cluster", recorded->cluster}, {"number", recorded->number}, {"message", message}};
    }
    std::cout << pretty_json(Json{{"root", r.hash.hex()},
                                  {"generation", generation},
                                  {"output", args.out},
                                  {"manifests", loaded.graph.manifests.size()}})
              << "\n";
    return;
  }
  if (recorded) {
    std::cout << "generation " << recorded->cluster << "@" << recorded->number << ": " << message
              << "\n";
  } else {
    std::cout << "the root has no cluster name (added without --cluster); no generation recorded\n";
  }
  std::cout << "wrote " << loaded.graph.manifests.size() << " manifests to " << args.out << "\n"
            << r.hash.hex() << "\n"
            << std::flush;
}

}  // namespace

void add_rollback_command(CLI::App& parent, Context& ctx) {
  auto args = std::make_shared<RollbackArgs>();
  auto* cmd = parent.add_subcommand(
      "rollback",
      "Make a root its cluster's current generation again (a new generation entry) and write\n"
      "its result directory: one YAML file per resource, `root` and `graph`");
  cmd->add_option("REF", args->ref, "The root: hash, NAME@N or NAME")->required();
  cmd->add_option("-o,--output", args->out,
                  "Result directory: new, empty, or an earlier result, which is replaced "
                  "(default: ./result)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->footer(
      "Secrets are written with their values, which needs the secret key that sealed them\n"
      "(docs/secrets.md). Without it every other resource is written, the Secrets are\n"
      "withheld, no generation is recorded, and kix exits with status 2.");
  cmd->callback([args, &ctx] { run_rollback(*args, ctx); });
}

}  // namespace kix::cli
