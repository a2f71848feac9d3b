// Text that cannot rewrite a terminal. kix prints names, reasons and
// messages that come from files it did not write (archives, charts, live
// objects); a control character in them (ESC, BEL, NUL, a C1 control such as
// U+009B CSI) could move the cursor, change the title or hide text.
// Every such character is shown as a JSON-style escape (\u001b), which is
// also a valid escape inside JSON strings and YAML double-quoted scalars,
// so escaped output stays parseable.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace kix {

// `text` with every C0 control (U+0000 to U+001F), DEL and C1 control
// (U+0080 to U+009F) written as \u00XX; a tab is kept, and so are newlines
// when `keep_newlines` is set. Other bytes, invalid UTF-8 included, are kept.
std::string escape_controls(std::string_view text, bool keep_newlines = false);

// True when escape_controls would change `text`.
bool has_controls(std::string_view text, bool keep_newlines = false);

}  // namespace kix
