// `kix package new PATH`: a new package that lints clean and passes its
// test from the start (compiler/package_scaffold.h).
#include <iostream>

#include "cli/compiler_cli.h"
#include "cli/package_cli.h"
#include "compiler/cluster_definition.h"
#include "compiler/package_docs.h"
#include "compiler/package_scaffold.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/temp_directory.h"

namespace kix::cli {

namespace {

namespace fs = std::filesystem;

struct NewArgs {
  std::string path;
  std::string format;
};

void write_new_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  write_file_atomically(path, content);
}

// Moves the complete package to `target`. A new directory is renamed into
// place whole; an existing empty one (`kix package new .`) keeps its
// identity, mode and ownership and gets the entries one by one.
void move_into_place(const fs::path& stage, const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(target, ec)) {
    // rename(2) refuses a target created meanwhile that is not empty.
    fs::rename(stage, target, ec);
    if (ec) {
      throw Error(ErrorKind::kIo,
                  "cannot move the new package to " + target.string() + ": " + ec.message(), {},
                  "nothing was written to " + target.string() +
                      "; check that its parent directory is writable, or name another "
                      "directory");
    }
    return;
  }
  std::vector<fs::path> entries, moved;
  for (const auto& entry : fs::directory_iterator(stage)) entries.push_back(entry.path());
  for (const fs::path& from : entries) {
    const fs::path to = target / from.filename();
    // Never over something that appeared meanwhile.
    if (fs::exists(to, ec)) ec = std::make_error_code(std::errc::file_exists);
    if (!ec) fs::rename(from, to, ec);
    if (ec) {
      const std::string why = ec.message();
      bool restored = true;
      for (const fs::path& m : moved) {
        std::error_code back;
        fs::rename(m, stage / m.filename(), back);
        if (back) restored = false;
      }
      throw Error(ErrorKind::kIo,
                  "cannot move the new package into " + target.string() + ": " + why, {},
                  restored ? "what was moved was taken back out, so " + target.string() +
                                 " is as it was; check that it is writable and that nothing is "
                                 "being created in it meanwhile"
                           : "some of the package's new files could not be taken back out of " +
                                 target.string() + "; remove them by hand before trying again");
    }
    moved.push_back(to);
  }
}

void run_new(const NewArgs& args, Context& ctx) {
  const fs::path target = package_dir_argument(args.path);
  const std::string name = target.filename().string();
  if (!compiler::is_dns_label(name)) {
    throw Error(ErrorKind::kInvalidInput, "'" + name + "' cannot be a package name", {},
                std::string(compiler::kDnsLabelHint) +
                    "; the package is created in a directory "
                    "of that name");
  }
  std::error_code ec;
  // The staging directory of a `package new` that was killed, beside the
  // target or inside it (see below), goes first: it is named after the
  // process that made it, and that process is gone.
  const fs::path inside = target / "kix-package-new";
  remove_stale_siblings(target, "stage");
  if (fs::is_directory(target, ec)) remove_stale_siblings(inside, "stage");
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec))) {
    throw Error(ErrorKind::kConflict, target.string() + " already exists", {},
                "kix package new only creates a new package; pick another path, or remove it "
                "first");
  }
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw Error(ErrorKind::kNotFound, "the directory " + parent.string() + " does not exist", {},
                "create it first, or give a path in an existing directory");
  }
  // Made whole beside its destination (or inside it, when it is an empty
  // directory already) and then moved into place: a failure (a full disk,
  // an environment the tests do not pass in) leaves nothing behind.
  const std::unique_ptr<TempDirectory> staging =
      TempDirectory::beside(fs::exists(target, ec) ? inside : target, "stage");
  const fs::path stage = staging->path() / name;
  const fs::path schemas = fs::absolute(schema_dir(ctx) / "editor").lexically_normal();
  std::vector<std::string> files;
  for (const compiler::ScaffoldFile& f : compiler::package_scaffold(
           name, (schemas / "package.json").string(), (schemas / "cluster.json").string())) {
    write_new_file(stage / f.path, f.content);
    files.push_back(f.path);
  }
  Diagnostics diags;
  const compiler::Package package = compiler::load_package(stage, diags);
  ctx.print_diagnostics(diags);
  write_new_file(stage / "README.md",
                 compiler::new_package_readme(package) + compiler::scaffold_readme_tail(name));
  files.push_back("README.md");
  // The expected output is the test's own result, recorded now.
  Json report = run_package_tests(package, /*accept=*/true, /*print_text=*/false, ctx);
  if (report["failed"].get<size_t>() != 0) {
    std::string why;
    for (const Json& c : report["cases"]) {
      if (c["reason"].is_string())
        why += "\n  " + c["name"].get<std::string>() + ": " + c["reason"].get<std::string>();
    }
    throw Error(ErrorKind::kInvalidInput, "the new package's tests do not pass here:" + why, {},
                "the errors above say why (a KIX_SCHEMA_DIR or KIX_PACKAGES_PATH of this "
                "environment?); nothing was written");
  }
  for (const auto& entry : fs::recursive_directory_iterator(stage)) {
    const std::string file = entry.path().lexically_relative(stage).generic_string();
    if (entry.is_regular_file() && file.rfind("test/expected/", 0) == 0) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  move_into_place(stage, target);
  if (args.format == "json") {
    std::cout << pretty_json(Json{{"package", name}, {"dir", target.string()}, {"files", files}})
              << "\n";
    return;
  }
  for (const std::string& f : files) std::cout << "wrote " << (target / f).string() << "\n";
  std::cout << "package " << name << " created; next:\n"
            << "  kix package lint " << target.string() << "\n"
            << "  kix package test " << target.string() << "\n";
}

}  // namespace

void add_package_new_command(CLI::App& package, Context& ctx) {
  auto args = std::make_shared<NewArgs>();
  auto* cmd = package.add_subcommand(
      "new",
      "Create a package in a new directory PATH, named like it: package.yaml (options, a check, "
      "a Deployment and Service, out), a README with its generated part, and a test with its "
      "expected output");
  cmd->add_option("PATH", args->path, "The new package's directory; its name is the package's")
      ->required();
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_new(*args, ctx); });
}

}  // namespace kix::cli
