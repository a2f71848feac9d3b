// `kix package lint DIR`: what a package's author should fix
// (compiler/package_lint.h), one finding per line with its rule.
#include <iostream>

#include "cli/compiler_cli.h"
#include "cli/package_cli.h"
#include "compiler/package_lint.h"
#include "compiler/schema_validator.h"

namespace kix::cli {

namespace {

struct LintArgs {
  std::string dir = ".";
  bool strict = false;
  std::string format;
};

void print_finding(const compiler::LintFinding& f, const Colors& colors) {
  if (f.where.known()) std::cout << f.where.str() << ": ";
  std::cout << (f.is_error ? colors.red() : colors.yellow()) << colors.bold()
            << (f.is_error ? "error" : "warning") << ":" << colors.reset() << " " << f.message
            << " " << colors.dim() << "[" << f.rule << "]" << colors.reset() << "\n";
  size_t start = 0;
  while (start < f.hint.size()) {
    size_t end = f.hint.find('\n', start);
    if (end == std::string::npos) end = f.hint.size();
    std::cout << "  " << f.hint.substr(start, end - start) << "\n";
    start = end + 1;
  }
}

void run_lint(const LintArgs& args, Context& ctx) {
  Diagnostics diags;
  const compiler::Package package = compiler::load_package(package_dir_argument(args.dir), diags);
  SchemaValidator validator(schema_dir(ctx));
  // The loader's warnings are findings like the others (counted, --strict).
  const std::vector<compiler::LintFinding> findings =
      compiler::lint_package(package, &validator, diags);
  size_t errors = 0, warnings = 0;
  for (const auto& f : findings) (f.is_error ? errors : warnings) += 1;
  if (args.format == "json") {
    Json list = Json::array();
    for (const auto& f : findings) {
      list.push_back({{"rule", f.rule},
                      {"severity", f.is_error ? "error" : "warning"},
                      {"file", f.where.file},
                      {"line", f.where.line > 0 ? Json(f.where.line) : Json(nullptr)},
                      {"message", f.message},
                      {"hint", f.hint}});
    }
    std::cout << pretty_json(Json{{"package", package.name},
                                  {"dir", package.dir.string()},
                                  {"findings", list},
                                  {"errors", errors},
                                  {"warnings", warnings},
                                  {"strict", args.strict}})
              << "\n";
  } else {
    for (const auto& f : findings) print_finding(f, Colors{ctx.color_stdout});
    std::cout << "package " << package.name << ": " << errors << " error"
              << (errors == 1 ? "" : "s") << ", " << warnings << " warning"
              << (warnings == 1 ? "" : "s") << "\n";
  }
  if (errors > 0 || (args.strict && warnings > 0)) ctx.exit_code = kExitDifferent;
}

}  // namespace

void add_package_lint_command(CLI::App& package, Context& ctx) {
  auto args = std::make_shared<LintArgs>();
  auto* cmd = package.add_subcommand(
      "lint",
      "Check a package for what loads but is still wrong: unknown or unused options, checks that "
      "can never fire (or always do), fields its kinds do not have, a missing or outdated README, "
      "no test.\nExit code 1 when there are errors (with --strict, warnings too).");
  cmd->add_option("DIR", args->dir, "The package directory (default: .)");
  cmd->add_flag("--strict", args->strict, "Exit 1 on warnings too");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_lint(*args, ctx); });
}

}  // namespace kix::cli
