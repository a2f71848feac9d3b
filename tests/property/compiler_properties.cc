// Properties of the compiler: hashes do not depend on how a definition is
// written down, and expressions print back to text that parses to the same
// meaning.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>

#include "compiler/compiler.h"
#include "compiler/evaluator.h"
#include "compiler/expression.h"
#include "tests/unit/compiler_test_support.h"

namespace kix::compiler {
namespace {

constexpr const char* kPackage = R"(package: box
optionalNeeds: [peer]
options:
  n: { type: integer, default: 0 }
resources:
  cm:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      data:
        n: ${string(config.n)}
        peer: "${peer != null ? peer.out.name : 'none'}"
out:
  name: ${resources.cm.metadata.name}
)";

// The root hash of a definition whose instances are listed in `order`.
std::string root_of(const testing::TempTree& tree, const std::vector<int>& values,
                    const std::vector<size_t>& order) {
  std::string text = "cluster: prop\npackagePaths: [./pkgs]\ninstances:\n  ns:\n";
  for (size_t i : order) {
    text += "    i" + std::to_string(i) +
            ": { package: box, config: { n: " + std::to_string(values[i]) + " }";
    if (i > 0) text += ", deps: { peer: i" + std::to_string(i - 1) + " }";
    text += " }\n";
  }
  tree.write("cluster.yaml", text);
  Diagnostics diags;
  CompileOptions options;
  options.definition = tree.root();
  Compilation c = compile(options, diags);
  RC_ASSERT(c.ok());
  return c.graph.root(c.cluster).hex();
}

RC_GTEST_PROP(CompilerProperties, RootDoesNotDependOnDeclarationOrder, ()) {
  testing::TempTree tree;
  tree.write("pkgs/box/package.yaml", kPackage);
  auto values = *rc::gen::container<std::vector<int>>(*rc::gen::inRange<size_t>(1, 6),
                                                      rc::gen::inRange(0, 100));
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<size_t> shuffled = order;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(*rc::gen::arbitrary<unsigned>()));
  RC_ASSERT(root_of(tree, values, order) == root_of(tree, values, shuffled));
}

RC_GTEST_PROP(CompilerProperties, ChangingOneInstanceChangesTheRoot, ()) {
  testing::TempTree tree;
  tree.write("pkgs/box/package.yaml", kPackage);
  auto values = *rc::gen::container<std::vector<int>>(*rc::gen::inRange<size_t>(1, 5),
                                                      rc::gen::inRange(0, 100));
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto changed = values;
  size_t which = *rc::gen::inRange<size_t>(0, values.size());
  changed[which] += 1;
  RC_ASSERT(root_of(tree, values, order) != root_of(tree, changed, order));
}

// Random arithmetic and boolean expressions over small integers.
rc::Gen<std::string> expression(int depth) {
  auto leaf = rc::gen::map(rc::gen::inRange(0, 20), [](int n) { return std::to_string(n); });
  if (depth <= 0) return leaf;
  return rc::gen::oneOf(
      leaf,
      rc::gen::apply([](const std::string& a, const std::string& op,
                        const std::string& b) { return "(" + a + " " + op + " " + b + ")"; },
                     expression(depth - 1), rc::gen::element<std::string>("+", "-", "*"),
                     expression(depth - 1)),
      rc::gen::apply([](const std::string& c, const std::string& a,
                        const std::string& b) { return "(" + c + " > 5 ? " + a + " : " + b + ")"; },
                     expression(depth - 1), expression(depth - 1), expression(depth - 1)));
}

RC_GTEST_PROP(CompilerProperties, PrintedExpressionsEvaluateTheSame, ()) {
  std::string text = *expression(3);
  MapScope scope;
  ExprSite site{{"prop.yaml", 1, 1}, text};
  Value direct = evaluate_text(text, scope, site);
  std::string printed = to_source(*parse_expression(text));
  Value again = evaluate_text(printed, scope, site);
  RC_ASSERT(direct.json == again.json);
  RC_ASSERT(to_source(*parse_expression(printed)) == printed);
}

}  // namespace
}  // namespace kix::compiler
