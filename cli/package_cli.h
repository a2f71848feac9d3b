// Shared pieces of the `kix package` commands (docs/commands/package.md).
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "compiler/package.h"

namespace kix::cli {

// The package directory an argument names: "." and "pkgs/db/" name the
// directories `db` is in, so that the package's name (its directory's)
// is known.
std::filesystem::path package_dir_argument(const std::string& arg);

// Runs the package's test cases (compiler/package_tests.h): each is
// compiled as `kix lock` then `kix build` would (charts fetched, kix.lock
// never written, nothing stored), with the package's own directory
// searched first, and its result compared with the case's expected/
// directory; with `accept`, a result that differs is written there
// instead. Prints each case's outcome, warnings, errors and differences
// (text), and returns the report of schema/output/package-test.json.
// Throws kix::Error(kNotFound) when the package has no test case.
Json run_package_tests(const compiler::Package& package, bool accept, bool print_text,
                       Context& ctx);

void add_package_test_command(CLI::App& package, Context& ctx);
void add_package_lint_command(CLI::App& package, Context& ctx);
void add_package_new_command(CLI::App& package, Context& ctx);

}  // namespace kix::cli
