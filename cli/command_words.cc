#include "cli/command_words.h"

#include <algorithm>

#include "util/suggest.h"

namespace kix::cli {

bool visible(const CLI::App* app) {
  return !app->get_group().empty();
}

const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
  std::string name = word.substr(0, word.find('='));
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (option->nonpositional() && option->check_name(name)) return option;
    }
  }
  return nullptr;
}

bool takes_value(const CLI::Option* option) {
  return option->get_items_expected_max() != 0;
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& name) {
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (visible(s) && s->check_name(name)) return s;
  }
  return nullptr;
}

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

namespace {

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (visible(s)) names.push_back(s->get_name());
  }
  return names;
}

// Every long option name ("--format") usable after `app`: its own and those
// of the commands above it.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (!option->nonpositional()) continue;
      for (const std::string& l : option->get_lnames()) names.push_back("--" + l);
    }
  }
  return names;
}

bool has_positionals(const CLI::App* app) {
  for (const CLI::Option* option : app->get_options()) {
    if (!option->nonpositional()) return true;
  }
  return false;
}

// Walks `args` as CLI11 reads them, global options anywhere: calls `unknown` for the
// first word that fits nowhere and returns the deepest command selected.
const CLI::App* walk(const CLI::App& root, const std::vector<std::string>& args,
                     std::optional<UnknownWord>* unknown) {
  const CLI::App* app = &root;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (!only_positionals && w == "--") {
      only_positionals = true;
    } else if (!only_positionals && w.size() > 1 && w.front() == '-') {
      const CLI::Option* option = find_option(app, w);
      // "-ofoo": a short option with its value attached.
      bool attached = false;
      if (option == nullptr && w[1] != '-' && w.size() > 2) {
        option = find_option(app, w.substr(0, 2));
        attached = option != nullptr;
      }
      if (option == nullptr) {
        if (unknown != nullptr && w.starts_with("--")) {
          std::string name = w.substr(0, w.find('='));
          *unknown = UnknownWord{name, true, app, closest_name(name, option_names(app))};
          return app;
        }
        continue;  // an unknown short option: the command is still further on
      }
      if (takes_value(option) && !attached && w.find('=') == std::string::npos) ++i;
    } else if (const CLI::App* sub = only_positionals ? nullptr : find_subcommand(app, w)) {
      app = sub;
    } else if (!only_positionals && !subcommand_names(app).empty() && !has_positionals(app)) {
      if (unknown != nullptr) {
        *unknown = UnknownWord{w, false, app, closest_name(w, subcommand_names(app))};
      }
      return app;
    }
  }
  return app;
}

}  // namespace

std::vector<std::string> hoist_global_options(const CLI::App& root,
                                              const std::vector<std::string>& args) {
  std::vector<std::string> globals, rest;
  const CLI::App* app = &root;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") break;
    if (w.size() > 1 && w.front() == '-') {
      const CLI::Option* option = find_option(app, w);
      if (option == nullptr && w[1] != '-' && w.size() > 2)
        option = find_option(app, w.substr(0, 2));
      bool global = false;
      if (option != nullptr && app != &root) {
        const auto& own = root.get_options();
        global = std::find(own.begin(), own.end(), option) != own.end();
      }
      const bool separate_value = option != nullptr && takes_value(option) &&
                                  w.find('=') == std::string::npos &&
                                  !(w.size() > 2 && w[1] != '-');  // "-sVALUE" holds its value
      std::vector<std::string>& into = global ? globals : rest;
      into.push_back(w);
      if (separate_value && i + 1 < args.size()) into.push_back(args[++i]);
      continue;
    }
    if (const CLI::App* sub = find_subcommand(app, w)) app = sub;
    rest.push_back(w);
  }
  for (; i < args.size(); ++i) rest.push_back(args[i]);
  globals.insert(globals.end(), rest.begin(), rest.end());
  return globals;
}

std::optional<UnknownWord> find_unknown_word(const CLI::App& root,
                                             const std::vector<std::string>& args) {
  std::optional<UnknownWord> unknown;
  walk(root, args, &unknown);
  return unknown;
}

const CLI::App* selected_command(const CLI::App& root, const std::vector<std::string>& args) {
  return walk(root, args, nullptr);
}

std::string describe_unknown_word(const UnknownWord& unknown) {
  std::string path = command_path(unknown.command);
  std::string text = "error: " + path + ": unknown " + (unknown.is_option ? "option" : "command") +
                     " '" + unknown.word + "'";
  if (!unknown.suggestion.empty()) {
    text += "; did you mean '" + unknown.suggestion + "'?";
  } else if (!unknown.is_option) {
    text += "; the commands are " + join_names(subcommand_names(unknown.command));
  }
  text += "\n  Run '" + path + " --help' for its " + (unknown.is_option ? "options" : "commands") +
          ".\n";
  return text;
}

}  // namespace kix::cli
