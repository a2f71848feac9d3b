// `kix rollback REF [-o DIR]` (= `kix store rollback`): makes a root its
// cluster's current generation again and writes its manifests out.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "cli/store_cli.h"
#include "manifest/yaml_writer.h"
#include "store/ref.h"
#include "util/error.h"

namespace kix::cli {

namespace {

namespace fs = std::filesystem;

struct RollbackArgs {
  std::string ref;
  std::string out = "result";
};

std::string file_part(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

// "<namespace>_<kind>_<name>.yaml" ("_cluster" for cluster-scoped ones);
// a clash (same names in two API groups) gets the node hash appended.
std::string file_name(const StoredNode& n, std::set<std::string>& used) {
  std::string base = (n.id.ns.empty() ? std::string("_cluster") : file_part(n.id.ns)) + "_" +
                     file_part(n.id.kind) + "_" + file_part(n.id.name);
  std::string name = base + ".yaml";
  if (!used.insert(name).second) {
    name = base + "_" + n.hash.hex().substr(0, 12) + ".yaml";
    used.insert(name);
  }
  return name;
}

// The output directory may be new, empty, or an earlier result (it holds a
// `root` file); anything else is the user's and is never overwritten.
void check_output_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::kConflict, dir.string() + " exists and is not a directory", {},
                "choose another output with -o DIR");
  }
  if (fs::is_empty(dir, ec) || fs::exists(dir / "root", ec)) return;
  throw Error(
      ErrorKind::kConflict,
      dir.string() + " is not empty and is not an earlier kix result (it has no `root` file)", {},
      "choose another output with -o DIR, or remove it");
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw Error(ErrorKind::kIo, "cannot write " + path.string(), {},
                "check free space and permissions");
}

// Writes everything into a sibling temporary directory first, so the output
// is either the previous result or the complete new one.
void write_result(const fs::path& dir, const Hash& root,
                  const std::vector<std::pair<std::string, std::string>>& files) {
  fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  fs::path tmp = parent / ("." + dir.filename().string() + ".tmp-" + std::to_string(getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot create " + tmp.string() + ": " + ec.message());
  try {
    for (const auto& [name, text] : files) write_file(tmp / name, text);
    write_file(tmp / "root", root.hex() + "\n");
    fs::remove_all(dir);
    fs::rename(tmp, dir);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(ErrorKind::kIo, std::string("cannot write the result: ") + e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

void run_rollback(const RollbackArgs& args, Context& ctx) {
  fs::path dir = args.out;
  check_output_dir(dir);
  std::unique_ptr<Store> opened = open_store(ctx);
  Store& store = *opened;
  ResolvedRef r = resolve_root_ref(store, args.ref);

  std::vector<std::pair<std::string, std::string>> files;
  StoredRoot root;
  std::optional<Generation> target = r.generation;
  {
    auto snapshot = store.snapshot();
    root = *store.find_root(r.hash);
    if (!target) {
      auto gens = store.generations_of_root(r.hash);
      if (!gens.empty()) target = gens.back();
    }
    std::set<std::string> used;
    for (const auto& n : store.load_nodes(root.nodes)) {
      // Secrets are written in full: this output is what gets applied.
      files.emplace_back(file_name(n, used), to_yaml(store.read_manifest(n.blob)));
    }
  }

  std::string message = target ? "rollback to generation " + std::to_string(target->number)
                               : "rollback to root " + r.hash.hex().substr(0, 12);
  std::optional<Generation> recorded;
  if (!root.cluster.empty()) {
    recorded =
        store.append_generation(GenerationRequest{root.cluster, r.hash, message, "", unix_now()});
  }
  write_result(dir, r.hash, files);

  if (recorded) {
    std::cout << "generation " << recorded->cluster << "@" << recorded->number << ": " << message
              << "\n";
  } else {
    std::cout << "the root has no cluster name (added without --cluster); no generation recorded\n";
  }
  std::cout << "wrote " << files.size() << " manifests to " << dir.string() << "\n"
            << r.hash.hex() << "\n"
            << std::flush;
}

}  // namespace

void add_rollback_command(CLI::App& parent, Context& ctx) {
  auto args = std::make_shared<RollbackArgs>();
  auto* cmd = parent.add_subcommand(
      "rollback",
      "Make a root its cluster's current generation again (a new generation entry) and write\n"
      "its manifests, one YAML file per resource, plus a `root` file, into DIR");
  cmd->add_option("REF", args->ref, "The root: hash, NAME@N or NAME")->required();
  cmd->add_option("-o,--output", args->out, "Output directory (an earlier result is replaced)");
  cmd->callback([args, &ctx] { run_rollback(*args, ctx); });
}

}  // namespace kix::cli
