#include "cli/terminal_filter.h"

#include <cctype>

#include "util/printable.h"

namespace kix::cli {

namespace {

// Length of an SGR sequence (ESC [ digits/semicolons m) at text[i], or 0.
size_t sgr_at(const std::string& text, size_t i) {
  if (i + 2 >= text.size() || text[i] != '\x1b' || text[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == ';')) {
    ++j;
  }
  return j < text.size() && text[j] == 'm' ? j - i + 1 : 0;
}

}  // namespace

std::string filter_terminal_text(const std::string& text, bool allow_colors) {
  if (!has_controls(text, true)) return text;
  std::string out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t sgr = allow_colors ? sgr_at(text, i) : 0;
    if (sgr == 0) continue;
    out += escape_controls(std::string_view(text).substr(start, i - start), true);
    out.append(text, i, sgr);
    i += sgr - 1;
    start = i + 1;
  }
  out += escape_controls(std::string_view(text).substr(start), true);
  return out;
}

// Collects output up to each newline (or flush), so an escape sequence or a
// UTF-8 character split across writes is seen whole, then writes it
// filtered to the original buffer.
class TerminalFilter::Buffer : public std::streambuf {
 public:
  Buffer(std::streambuf* target, bool allow_colors)
      : target_(target), allow_colors_(allow_colors) {}
  ~Buffer() override { flush_pending(); }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    pending_ += traits_type::to_char_type(ch);
    if (ch == '\n' && pending_.size() > kLine) flush_pending();
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<size_t>(n));
    if (pending_.size() > kLine) flush_complete_lines();
    return n;
  }
  int sync() override {
    flush_pending();
    return target_->pubsync();
  }

 private:
  static constexpr size_t kLine = 64 * 1024;

  void flush_complete_lines() {
    size_t end = pending_.rfind('\n');
    if (end == std::string::npos) return;
    std::string done = filter_terminal_text(pending_.substr(0, end + 1), allow_colors_);
    target_->sputn(done.data(), static_cast<std::streamsize>(done.size()));
    pending_.erase(0, end + 1);
  }
  void flush_pending() {
    if (pending_.empty()) return;
    std::string done = filter_terminal_text(pending_, allow_colors_);
    target_->sputn(done.data(), static_cast<std::streamsize>(done.size()));
    pending_.clear();
  }

  std::streambuf* target_;
  bool allow_colors_;
  std::string pending_;
};

TerminalFilter::TerminalFilter(std::ostream& stream, bool allow_colors)
    : stream_(stream),
      original_(stream.rdbuf()),
      buffer_(std::make_unique<Buffer>(original_, allow_colors)),
      raw_(original_) {
  stream_.rdbuf(buffer_.get());
}

TerminalFilter::~TerminalFilter() {
  stream_.flush();
  stream_.rdbuf(original_);
  buffer_.reset();
  original_->pubsync();
}

}  // namespace kix::cli
