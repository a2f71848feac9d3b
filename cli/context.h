// What every command gets from main: global options and the terminal facts
// (colour, TTY) that the libraries must not know about.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "manifest/secret_seal.h"
#include "util/clock.h"
#include "util/diagnostics.h"
#include "util/environment.h"

namespace kix::cli {

// Exit codes, like diff(1) and kubectl diff.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDifferent = 1;  // differences found, or a check failed
inline constexpr int kExitError = 2;

struct Context {
  std::string store_dir_option;  // --store, empty when not given
  bool color_stdout = false;     // stdout is a TTY and NO_COLOR is unset
  bool color_stderr = false;
  bool stderr_tty = false;   // progress bars go to stderr only on a TTY
  bool stdout_tty = false;   // a status line rewritten in place only on a TTY
  bool utf8_output = false;  // the locale's character set is UTF-8 (locale_is_utf8)
  bool quiet = false;        // --quiet: no progress lines and no notes
  int exit_code = kExitOk;   // set by a command's callback
  // The seams for what the process reads from outside: every environment
  // variable and the time go through these.
  std::shared_ptr<const Environment> environment = std::make_shared<SystemEnvironment>();
  std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();

  // stdout without the control-character filter (cli/terminal_filter.h),
  // for output that must stay byte-exact; set by main.
  std::ostream* raw_stdout = nullptr;
  std::ostream* raw_stderr = nullptr;  // the same for stderr (progress lines)

 private:
  mutable std::unique_ptr<FileKeyring> keyring_;

 public:
  const Environment& env() const { return *environment; }
  int64_t now() const { return clock->now_unix_seconds(); }

  // The secret key that seals Secrets (docs/secrets.md), read from
  // secret_key_file(env()) on first use and created there when something
  // must be sealed and there is none.
  SecretKeyring& keys() const;
  // The key file, when this process created it (main then says so).
  std::optional<std::filesystem::path> created_key_file() const;

  // --store, else KIX_STORE, else $XDG_DATA_HOME/kix/store, else
  // ~/.local/share/kix/store.
  std::filesystem::path store_dir() const;
  // Prints warnings to stderr (coloured on a TTY) and returns their count.
  size_t print_diagnostics(const Diagnostics& diags) const;
};

// Whether the locale the user runs under (LC_ALL, else LC_CTYPE, else LANG,
// as setlocale(3) picks them) names the UTF-8 character set: only then do
// text outputs draw with characters outside ASCII (the rule of a diff).
bool locale_is_utf8(const Environment& env);

// `value` as the JSON outputs print it: indented by two. A byte that is not
// UTF-8 (in a path given on the command line, or read from a damaged store)
// is shown as U+FFFD instead of failing after the command's work is done.
inline std::string pretty_json(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

// Output formats shared by the commands that take --format.
enum class Format { kText, kJson, kMarkdown, kYaml, kDot, kSvg };

// --format with `choices`, the first being the default; its help lists
// them, and any other value is a usage error.
void add_format_option(CLI::App* cmd, std::string& format, std::vector<std::string> choices);

// Each command family registers its subcommands; the callback sets
// ctx.exit_code. Errors are thrown as kix::Error and printed by main.
void add_plumbing_commands(CLI::App& app, Context& ctx);    // canon, hash
void add_store_commands(CLI::App& app, Context& ctx);       // store ..., rollback
void add_compiler_commands(CLI::App& app, Context& ctx);    // build, graph, explain
void add_cluster_commands(CLI::App& app, Context& ctx);     // diff, plan, deploy, health
void add_completion_commands(CLI::App& app, Context& ctx);  // completion, __complete
void add_package_commands(CLI::App& app, Context& ctx);     // package docs

// "\x1b[31m" etc. when enabled, "" otherwise.
struct Colors {
  bool on = false;
  const char* red() const { return on ? "\x1b[31m" : ""; }
  const char* green() const { return on ? "\x1b[32m" : ""; }
  const char* yellow() const { return on ? "\x1b[33m" : ""; }
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* dim() const { return on ? "\x1b[2m" : ""; }
  const char* reset() const { return on ? "\x1b[0m" : ""; }
};

}  // namespace kix::cli
