#include "cli/context.h"

#include <cstdlib>
#include <iostream>

namespace kix::cli {

std::filesystem::path Context::store_dir() const {
  if (!store_dir_option.empty()) return store_dir_option;
  if (const char* env = std::getenv("KIX_STORE"); env != nullptr && *env != '\0') return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "kix" / "store";
  }
  const char* home = std::getenv("HOME");
  std::filesystem::path base = (home != nullptr && *home != '\0') ? home : ".";
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
