// kix completion bash|zsh|fish: a script that asks kix itself what can
// come next (the hidden `kix __complete WORDS...`), so completions follow
// the commands as they are defined here: subcommands, options, the values
// of options with a fixed set of choices, and, from the store, cluster
// names and their generations (NAME@N) where a command takes a cluster or
// a REF. docs/commands/completion.md.
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/cluster_cli.h"
#include "cli/command_words.h"
#include "cli/store_cli.h"
#include "store/sqlite_store.h"

namespace kix::cli {

namespace {

constexpr const char* kBash = R"(# kix completion for bash: source <(kix completion bash)
_kix() {
  # The words as typed up to the cursor, split at blanks only: bash's own
  # COMP_WORDS also splits at COMP_WORDBREAKS (@ = :), inside NAME@N and
  # --format=json.
  local line=${COMP_LINE:0:COMP_POINT}
  local -a words
  read -ra words <<<"$line"
  [[ -z $line || $line == *[[:space:]] ]] && words+=("")
  local cur=${words[${#words[@]}-1]}
  local IFS=$'\n'
  local candidates
  candidates=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  # bash replaces only what follows the last word break in the word.
  local head=${cur%"${cur##*[$COMP_WORDBREAKS]}"}
  [[ -n $head ]] && COMPREPLY=("${COMPREPLY[@]#"$head"}")
  # Nothing kix knows of (a path, a file): let bash complete file names.
  ((${#COMPREPLY[@]})) || compopt -o default 2>/dev/null
  return 0
}
complete -F _kix kix
)";

constexpr const char* kZsh = R"(#compdef kix
# kix completion for zsh: source <(kix completion zsh), after compinit
_kix() {
  local -a candidates
  candidates=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n ${candidates[1]} ]]; then
    compadd -a candidates
  else
    _files
  fi
}
compdef _kix kix
)";

constexpr const char* kFish = R"(# kix completion for fish: kix completion fish | source
function __kix_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out (command $tokens[1] __complete $tokens[2..-1] $current 2>/dev/null)
    if test (count $out) -gt 0
        printf '%s\n' $out
    else
        __fish_complete_path $current
    end
end
complete -c kix -f -a '(__kix_complete)'
)";

// The choices of an option checked with CLI::IsMember: its type name reads
// "TEXT:{text,json}".
std::vector<std::string> choices_of(const CLI::Option* option) {
  std::string type = option->get_type_name();
  size_t open = type.find('{');
  size_t close = type.rfind('}');
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string list = type.substr(open + 1, close - open - 1);
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// What the store offers for a positional argument: cluster names for a
// cluster NAME, and for a REF also NAME@N once the word names a cluster
// and an "@". Nothing when there is no store: completing never creates one.
std::vector<std::string> store_candidates(const std::string& positional, const std::string& word,
                                          const std::filesystem::path& store_dir) {
  bool cluster_only = positional == "NAME";
  bool ref = positional == "REF" || positional == "A" || positional == "B";
  if (!cluster_only && !ref) return {};
  std::error_code ec;
  if (!std::filesystem::exists(store_dir / "store.db", ec)) return {};
  std::unique_ptr<SqliteStore> store = SqliteStore::open_existing(store_dir);
  std::vector<std::string> out;
  size_t at = word.find('@');
  if (ref && at != std::string::npos) {
    for (const Generation& g : store->generations(word.substr(0, at))) {
      out.push_back(g.cluster + "@" + std::to_string(g.number));
    }
    return out;
  }
  return store->clusters();
}

// The candidates for the last of `words` (the words after "kix"; the last
// is the one being completed, possibly empty), filtered by its prefix.
std::vector<std::string> complete(CLI::App& root, const std::vector<std::string>& words,
                                  const Context& ctx) {
  const CLI::App* app = &root;
  std::string store_dir = ctx.store_dir_option;
  size_t positional = 0;
  bool only_positionals = false;
  const std::string current = words.empty() ? std::string() : words.back();
  const CLI::Option* value_of = nullptr;  // the option the current word is the value of
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (!only_positionals && w == "--") {
      only_positionals = true;
    } else if (!only_positionals && w.size() > 1 && w.front() == '-') {
      const CLI::Option* option = find_option(app, w);
      if (option != nullptr && takes_value(option) && w.find('=') == std::string::npos) {
        if (i + 2 == words.size()) {
          value_of = option;
        } else if (option->check_name("--store")) {
          store_dir = words[i + 1];
        }
        ++i;
      } else if (option != nullptr && option->check_name("--store")) {
        store_dir = w.substr(w.find('=') + 1);
      }
    } else {
      const CLI::App* sub = only_positionals ? nullptr : find_subcommand(app, w);
      if (sub != nullptr) {
        app = sub;
        positional = 0;
      } else {
        ++positional;
      }
    }
  }
  std::vector<std::string> candidates;
  std::string prefix = current;
  if (value_of != nullptr) {
    candidates = choices_of(value_of);
  } else if (!only_positionals && current.starts_with("--") &&
             current.find('=') != std::string::npos) {
    if (const CLI::Option* option = find_option(app, current)) {
      std::string name = current.substr(0, current.find('=') + 1);
      for (const std::string& c : choices_of(option)) candidates.push_back(name + c);
    }
  } else if (!only_positionals && current.starts_with("-")) {
    std::set<std::string> names;
    for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
      for (const CLI::Option* option : a->get_options()) {
        if (!option->nonpositional()) continue;
        for (const std::string& l : option->get_lnames()) names.insert("--" + l);
        for (const std::string& s : option->get_snames()) names.insert("-" + s);
      }
    }
    candidates.assign(names.begin(), names.end());
  } else {
    if (!only_positionals) {
      for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
        if (visible(s)) candidates.push_back(s->get_name());
      }
    }
    // The positional the word fills: the one at its place, or a last one
    // that takes any number of words.
    std::vector<const CLI::Option*> positionals;
    for (const CLI::Option* option : app->get_options()) {
      if (!option->nonpositional()) positionals.push_back(option);
    }
    const CLI::Option* target = nullptr;
    if (positional < positionals.size()) {
      target = positionals[positional];
    } else if (!positionals.empty() && positionals.back()->get_items_expected_max() > 1) {
      target = positionals.back();
    }
    if (target != nullptr) {
      std::filesystem::path dir =
          store_dir.empty() ? ctx.store_dir() : std::filesystem::path(store_dir);
      for (std::string& c : store_candidates(target->get_name(), current, dir)) {
        candidates.push_back(std::move(c));
      }
    }
  }
  std::vector<std::string> out;
  for (std::string& c : candidates) {
    if (c.starts_with(prefix)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

void add_completion_commands(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "completion",
      "Print the shell completion script for bash, zsh or fish: subcommands, options, "
      "format names, and cluster names and generations from the store "
      "(docs/commands/completion.md)");
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer(
      "\nbash: source <(kix completion bash)   zsh: source <(kix completion zsh)   "
      "fish: kix completion fish | source");
  cmd->callback([shell] {
    std::cout << (*shell == "bash" ? kBash : *shell == "zsh" ? kZsh : kFish) << std::flush;
  });

  auto* hidden = app.add_subcommand("__complete", "");
  hidden->group("");
  hidden->prefix_command();
  hidden->fallthrough(false);  // --store among the words is a word, not kix's option
  hidden->set_help_flag();     // "--help" among the words is a word to complete after
  hidden->callback([hidden, &app, &ctx] {
    // A completion never fails aloud: a broken store or an unknown word
    // just offers nothing, and the shell completes file names.
    try {
      for (const std::string& c : complete(app, hidden->remaining(), ctx)) {
        std::cout << c << "\n";
      }
    } catch (const std::exception&) {
    }
    std::cout << std::flush;
  });
}

}  // namespace kix::cli
