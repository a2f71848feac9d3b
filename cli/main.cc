// kix: compile cluster definitions into verified manifests and keep them in
// a content-addressed store. This file only wires the command families
// together and maps errors to exit codes.
#include <unistd.h>

#include <cctype>

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_words.h"
#include "cli/context.h"
#include "cli/terminal_filter.h"
#include "cli/version.h"
#include "util/error.h"
#include "util/release_memory.h"

namespace {

bool color_allowed(int fd, const kix::Environment& env) {
  if (env.get_nonempty("NO_COLOR")) return false;
  if (env.get("TERM") == "dumb") return false;
  return isatty(fd) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  kix::keep_large_blocks_mapped();
  kix::cli::Context ctx;
  ctx.color_stdout = color_allowed(STDOUT_FILENO, ctx.env());
  ctx.color_stderr = color_allowed(STDERR_FILENO, ctx.env());
  ctx.stderr_tty = isatty(STDERR_FILENO) == 1;
  ctx.stdout_tty = isatty(STDOUT_FILENO) == 1 && ctx.env().get("TERM") != "dumb";
  ctx.utf8_output = kix::cli::locale_is_utf8(ctx.env());
  // Names, reasons and messages may come from files kix did not write:
  // nothing reaches the terminal as a control sequence but kix's colours.
  kix::cli::TerminalFilter out_filter(std::cout, ctx.color_stdout);
  kix::cli::TerminalFilter err_filter(std::cerr, ctx.color_stderr);
  ctx.raw_stdout = &out_filter.raw();
  ctx.raw_stderr = &err_filter.raw();

  CLI::App app{
      "kix compiles cluster definitions into verified Kubernetes manifests and keeps every\n"
      "resource in a content-addressed store (docs/ describes every command and format).",
      "kix"};
  app.set_version_flag("--version", std::string("kix ") + kix::cli::kVersion);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.add_option("--store", ctx.store_dir_option,
                 "Store directory (default: $KIX_STORE, else $XDG_DATA_HOME/kix/store)")
      ->envname("KIX_STORE");
  app.add_flag("-q,--quiet", ctx.quiet,
               "No progress lines and no notes on stderr; warnings, errors and the note that a new "
               "secret key was created are still shown");

  kix::cli::add_plumbing_commands(app, ctx);
  kix::cli::add_store_commands(app, ctx);
  kix::cli::add_compiler_commands(app, ctx);
  kix::cli::add_cluster_commands(app, ctx);
  kix::cli::add_package_commands(app, ctx);
  kix::cli::add_completion_commands(app, ctx);

  // A new secret key is news whatever happens next: without it, the
  // Secrets sealed with it cannot be read back.
  struct KeyNote {
    const kix::cli::Context& ctx;
    ~KeyNote() {
      if (auto file = ctx.created_key_file()) {
        std::cerr << "note: created the secret key " << file->string()
                  << " (0600): Secrets in the store can only be read back with it; keep a copy "
                     "(docs/secrets.md)\n";
      }
    }
  } key_note{ctx};

  // Global options work anywhere on the line: they are moved before the
  // subcommand, which also keeps "--" meaning "only positionals follow".
  std::vector<std::string> words =
      kix::cli::hoist_global_options(app, std::vector<std::string>(argv + 1, argv + argc));
  std::vector<char*> hoisted{argv[0]};
  for (std::string& w : words) hoisted.push_back(w.data());
  try {
    app.parse(static_cast<int>(hoisted.size()), hoisted.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::vector<std::string> args(argv + 1, argv + argc);
    if (auto unknown = kix::cli::find_unknown_word(app, args)) {
      std::cerr << kix::cli::describe_unknown_word(*unknown);
    } else {
      std::string path = kix::cli::command_path(kix::cli::selected_command(app, args));
      std::string what = e.what();
      // CLI11's sentences start with a capital; kix's messages do not, except
      // for a word in capitals ("URL").
      if (!what.empty() && std::isupper(static_cast<unsigned char>(what[0])) &&
          (what.size() == 1 || !std::isupper(static_cast<unsigned char>(what[1])))) {
        what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
      }
      std::cerr << "error: " << path << ": " << what << "\n  Run '" << path
                << " --help' for its usage.\n";
    }
    return kix::cli::kExitError;
  } catch (const kix::Error& e) {
    kix::cli::Colors c{ctx.color_stderr};
    std::string text = e.render();
    // Colour only the "error:" word of the first line.
    auto pos = text.find("error:");
    if (pos != std::string::npos && c.on) {
      text.replace(pos, 6, std::string(c.red()) + c.bold() + "error:" + c.reset());
    }
    std::cerr << text;
    if (text.empty() || text.back() != '\n') std::cerr << '\n';
    return kix::cli::kExitError;
  } catch (const std::exception& e) {
    std::cerr << "error: internal error: " << e.what()
              << "\n  This is a bug in kix; please report it with the command you ran.\n";
    return kix::cli::kExitError;
  }
  return ctx.exit_code;
}
