// Hand-written scanners that replaced regular expressions must answer as
// the expressions did, on text drawn from the bytes that matter to them:
// the resources an expression refers to (compiler/template.h).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "compiler/template.h"

namespace kix::compiler {
namespace {

// Text made of pieces of `resources.name` and the bytes around it, so that
// prefixes, word boundaries, digits and repeats all occur often.
rc::Gen<std::string> gen_expression_text() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(
          std::vector<std::string>{"resources.", "resources", "sources.", ".", "_", "a", "db", "9",
                                   "x1", " ", "(", "[0]", "self.resources.", "-", "é"})),
      [](const std::vector<std::string>& pieces) {
        std::string text;
        for (const std::string& piece : pieces) text += piece;
        return text;
      });
}

RC_GTEST_PROP(ScannerProperties, ResourceUsesAreWhatTheRegexFound, ()) {
  const std::string text = *gen_expression_text();
  static const std::regex kUse(R"(\bresources\.([A-Za-z_][A-Za-z0-9_]*))");
  std::set<std::string> expected;
  for (std::sregex_iterator it(text.begin(), text.end(), kUse), end; it != end; ++it) {
    expected.insert((*it)[1].str());
  }
  std::set<std::string> scanned;
  collect_resource_uses(text, scanned);
  RC_ASSERT(scanned == expected);
}

}  // namespace
}  // namespace kix::compiler
