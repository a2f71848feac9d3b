#include "cli/progress.h"

#include <unistd.h>

#include <charconv>
#include <iostream>

namespace kix::cli {

namespace {

bool wanted(const Context& ctx) {
  return ctx.stderr_tty && !ctx.quiet && ctx.raw_stderr != nullptr &&
         ctx.env().get("TERM") != "dumb";
}

}  // namespace

Progress::Progress(const Context& ctx)
    : line_(std::cerr, ctx.raw_stderr != nullptr ? *ctx.raw_stderr : std::cerr, wanted(ctx),
            terminal_columns(STDERR_FILENO, ctx.env().get("COLUMNS").value_or(""))),
      start_(std::chrono::steady_clock::now()) {
  if (auto delay = ctx.env().get_nonempty("KIX_PROGRESS_DELAY_MS")) {
    long long ms = 0;
    auto [ptr, ec] = std::from_chars(delay->data(), delay->data() + delay->size(), ms);
    if (ec == std::errc() && ptr == delay->data() + delay->size() && ms >= 0) {
      delay_ = std::chrono::milliseconds(ms);
    }
  }
}

void Progress::update(const std::string& text) {
  if (!line_.enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_) return;
  if (last_ != std::chrono::steady_clock::time_point{} &&
      now - last_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_ = now;
  line_.show(text);
}

std::string with_thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace kix::cli
