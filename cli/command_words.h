// How kix reads the words of its command line, shared by completion and by
// the "did you mean" of a mistyped subcommand or option: which subcommand a
// word selects, which option (here or on a command above, where global
// options such as --store live) a word names, and whether that option takes
// a value. Not thread-safe only in the sense that CLI::App is not.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kix::cli {

// A subcommand users see: hidden ones (`__complete`) have no group.
bool visible(const CLI::App* app);

// The option of `app` (or of an app above it) that `word` ("--name" or
// "--name=value", "-n") names; nullptr when none does.
const CLI::Option* find_option(const CLI::App* app, const std::string& word);

// A flag expects no items; every other option one or more values.
bool takes_value(const CLI::Option* option);

// The visible subcommand of `app` called `name`, nullptr when none is.
const CLI::App* find_subcommand(const CLI::App* app, const std::string& name);

// "kix store log" for the subcommand `app`.
std::string command_path(const CLI::App* app);

// The first word of `args` (argv without the program) that names neither a
// subcommand where one is expected nor an option of the command it follows,
// with a close name to suggest when there is one.
struct UnknownWord {
  std::string word;
  bool is_option = false;
  const CLI::App* command = nullptr;  // the command the word was given to
  std::string suggestion;             // "" when no name is close
};
std::optional<UnknownWord> find_unknown_word(const CLI::App& root,
                                             const std::vector<std::string>& args);

// The deepest subcommand `args` select (the root when none), for pointing
// at the right --help.
const CLI::App* selected_command(const CLI::App& root, const std::vector<std::string>& args);

// `args` with the root's own options (--store DIR, --quiet) that appear
// after a subcommand moved to the front, so that global options work
// anywhere on the line. A subcommand's option of the same name stays its
// own, and nothing after "--" moves: those words are positionals.
std::vector<std::string> hoist_global_options(const CLI::App& root,
                                              const std::vector<std::string>& args);

// The error text for `unknown`: what is wrong, the suggestion or the list of
// commands, and which --help to read.
std::string describe_unknown_word(const UnknownWord& unknown);

}  // namespace kix::cli
