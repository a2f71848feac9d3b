// `kix package ...`: tools for package authors (docs/commands/package.md):
// new, lint, test (their own files) and docs. `kix package docs DIR` prints the reference part of
// the package's README generated from its package.yaml; --update writes it into README.md,
// --check says whether README.md holds it as generated (exit 1 and a diff
// when not), which CI runs for every built-in package.
#include <filesystem>
#include <iostream>

#include "cli/context.h"
#include "cli/package_cli.h"
#include "compiler/package.h"
#include "compiler/package_docs.h"
#include "manifest/document.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/line_diff.h"

namespace kix::cli {

namespace {

struct DocsArgs {
  std::string dir = ".";
  bool update = false;
  bool check = false;
  std::string format;
};

// The README, or nullopt when there is none.
std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return read_input(path.string());
}

void run_docs(const DocsArgs& args, Context& ctx) {
  if (args.update && args.check) {
    throw Error(ErrorKind::kInvalidInput, "--update and --check exclude each other", {},
                "--check only reads README.md; --update writes it");
  }
  Diagnostics diags;
  compiler::Package package = compiler::load_package(package_dir_argument(args.dir), diags);
  ctx.print_diagnostics(diags);
  if (args.format == "json") {
    if (args.update || args.check) {
      throw Error(ErrorKind::kInvalidInput, "--format json goes without --update and --check", {},
                  "--format json prints the package's signature, options and out as JSON");
    }
    std::cout << pretty_json(compiler::package_docs_json(package)) << "\n";
    return;
  }
  const std::string docs = compiler::package_docs(package);
  if (!args.update && !args.check) {
    std::cout << docs << std::flush;
    return;
  }
  const std::filesystem::path readme = std::filesystem::path(args.dir) / "README.md";
  std::optional<std::string> text = read_text(readme);
  std::optional<std::string> wanted;
  if (!text) {
    if (args.check) {
      throw Error(ErrorKind::kNotFound, readme.string() + " does not exist", {},
                  "run `kix package docs --update " + args.dir + "` to write it");
    }
    wanted = compiler::new_package_readme(package);
  } else {
    wanted = compiler::replace_package_docs(*text, docs);
    if (!wanted) {
      throw Error(ErrorKind::kInvalidInput,
                  readme.string() + " has no generated part: the lines\n  " +
                      compiler::kPackageDocsBegin + "\n  " + compiler::kPackageDocsEnd +
                      "\nmark where it goes",
                  {},
                  "put the two lines where the signature, options and out belong, then run `kix "
                  "package docs --update " +
                      args.dir + "`");
    }
  }
  if (args.check) {
    if (*wanted == *text) {
      std::cout << readme.string() << " holds the package's reference as generated\n";
      return;
    }
    std::cout << readme.string() << " differs from what package.yaml generates:\n"
              << "--- " << readme.string() << "\n+++ kix package docs\n"
              << unified_diff(*text, *wanted) << std::flush;
    std::cerr << "error: " << readme.string()
              << " is out of date\n  run `kix package docs --update " << args.dir << "`\n";
    ctx.exit_code = kExitDifferent;
    return;
  }
  if (text && *wanted == *text) {
    std::cout << readme.string() << " is up to date\n";
    return;
  }
  write_file_atomically(readme, *wanted);
  std::cout << (text ? "updated " : "wrote ") << readme.string() << "\n";
}

}  // namespace

std::filesystem::path package_dir_argument(const std::string& arg) {
  // The package's name is its directory's: "." and "pkgs/db/" name it too.
  std::filesystem::path dir = std::filesystem::path(arg).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  if (dir.empty() || dir.filename() == "." || dir.filename() == "..") {
    dir = std::filesystem::absolute(dir.empty() ? "." : dir).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();
  }
  return dir;
}

void add_package_commands(CLI::App& app, Context& ctx) {
  auto* package = app.add_subcommand(
      "package", "Tools for package authors: new, lint, test, docs (docs/commands/package.md)");
  package->require_subcommand(1);
  add_package_new_command(*package, ctx);
  add_package_lint_command(*package, ctx);
  add_package_test_command(*package, ctx);

  auto args = std::make_shared<DocsArgs>();
  auto* docs = package->add_subcommand(
      "docs",
      "Print the reference part of a package's README (signature, options table, out contract) "
      "generated from its package.yaml; --update writes it into README.md, --check compares");
  docs->add_option("DIR", args->dir, "The package directory (default: .)");
  docs->add_flag("--update", args->update,
                 "Write the part into DIR/README.md between its markers (a new README when there "
                 "is none)");
  docs->add_flag("--check", args->check,
                 "Exit 1 and show the difference when DIR/README.md does not hold the part as "
                 "generated; write nothing");
  add_format_option(docs, args->format, {"markdown", "json"});
  docs->callback([args, &ctx] { run_docs(*args, ctx); });
}

}  // namespace kix::cli
