#include "cli/context.h"

#include <iostream>

namespace kix::cli {

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

size_t Context::print_diagnostics(const Diagnostics& diags) const {
  Colors c{color_stderr};
  for (const auto& d : diags.items()) {
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
