#include "cli/context.h"

#include <cctype>

#include <iostream>

namespace kix::cli {

bool locale_is_utf8(const Environment& env) {
  std::optional<std::string> locale = env.get_nonempty("LC_ALL");
  if (!locale) locale = env.get_nonempty("LC_CTYPE");
  if (!locale) locale = env.get_nonempty("LANG");
  if (!locale) return false;
  // The character set follows the first '.', up to an '@' modifier:
  // "en_US.UTF-8", "C.utf8", "de_DE.utf-8@euro".
  size_t dot = locale->find('.');
  if (dot == std::string::npos) return false;
  std::string charset;
  for (char c : locale->substr(dot + 1, locale->find('@', dot) - dot - 1)) {
    if (c != '-') charset += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return charset == "utf8";
}

SecretKeyring& Context::keys() const {
  if (!keyring_) keyring_ = std::make_unique<FileKeyring>(secret_key_file(env()));
  return *keyring_;
}

std::optional<std::filesystem::path> Context::created_key_file() const {
  if (!keyring_ || !keyring_->created()) return std::nullopt;
  return keyring_->where();
}

std::filesystem::path Context::store_dir() const {
  if (!store_dir_option.empty()) return store_dir_option;
  if (auto store = env().get_nonempty("KIX_STORE")) return *store;
  if (auto xdg = env().get_nonempty("XDG_DATA_HOME"); xdg && xdg->front() == '/') {
    return std::filesystem::path(*xdg) / "kix" / "store";
  }
  std::filesystem::path base = env().get_nonempty("HOME").value_or(".");
  return base / ".local" / "share" / "kix" / "store";
}

void add_format_option(CLI::App* cmd, std::string& format, std::vector<std::string> choices) {
  format = choices.front();
  std::string help = "Output format: ";
  for (size_t i = 0; i < choices.size(); ++i) help += (i ? "|" : "") + choices[i];
  cmd->add_option("--format", format, help)->check(CLI::IsMember(choices));
}

size_t Context::print_diagnostics(const Diagnostics& diags) const {
  Colors c{color_stderr};
  for (const auto& d : diags.items()) {
    if (quiet && d.severity == Severity::kNote) continue;
    std::string text = d.render();
    const char* word = d.severity == Severity::kWarning ? "warning:" : "note:";
    auto pos = text.find(word);
    if (c.on && pos != std::string::npos) {
      text.replace(pos, std::string(word).size(),
                   std::string(c.yellow()) + c.bold() + word + c.reset());
    }
    std::cerr << text;
    if (text.empty() || text.back() != '\n') std::cerr << '\n';
  }
  return diags.warning_count();
}

}  // namespace kix::cli
