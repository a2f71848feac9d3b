#include "cli/dependency_tree.h"

#include <map>
#include <set>
#include <vector>

#include "cli/compiler_cli.h"

namespace kix::cli {

namespace {

// "Deployment + Service ×2 + ConfigMap": the kinds an instance emits, in
// the order it emits them.
std::string kinds_summary(const compiler::Compilation& c, const compiler::CompiledInstance& inst,
                          bool utf8) {
  std::vector<std::string> order;
  std::map<std::string, size_t> counts;
  for (size_t r : inst.resources) {
    std::string kind = c.resources[r].manifest.value("kind", "");
    if (counts[kind]++ == 0) order.push_back(kind);
  }
  if (order.empty()) return inst.decl.external ? "(external: provides out by hand)" : "(nothing)";
  std::string out;
  for (const std::string& kind : order) {
    if (!out.empty()) out += " + ";
    out += kind;
    if (counts[kind] > 1) out += (utf8 ? " ×" : " x") + std::to_string(counts[kind]);
  }
  return out;
}

struct Drawing {
  const compiler::Compilation& c;
  bool utf8;
  std::string branch, last, pipe, space;
  std::set<size_t> drawn;  // instances already drawn with their dependencies
  std::string out;

  // The dependencies of instance `index`, each on a line after `prefix`.
  void children(size_t index, const std::string& prefix, std::vector<size_t>& path) {
    const compiler::CompiledInstance& inst = c.instances[index];
    std::vector<const compiler::Binding*> shown;
    for (const compiler::Binding& b : inst.bindings) shown.push_back(&b);
    for (size_t k = 0; k < shown.size(); ++k) {
      const compiler::Binding& b = *shown[k];
      const bool is_last = k + 1 == shown.size();
      out += prefix + (is_last ? last : branch);
      if (!b.target) {
        out += b.need + ": optional, none found\n";
        continue;
      }
      const size_t target = *b.target;
      std::string text = binding_text(c, inst, b);
      if (!utf8) {
        size_t arrow = text.find("→");
        if (arrow != std::string::npos) text.replace(arrow, std::string("→").size(), "->");
      }
      out += text;
      bool on_path = false;
      for (size_t p : path) on_path = on_path || p == target;
      if (on_path) {
        out += "  (a cycle)\n";
      } else if (drawn.count(target) && !c.instances[target].bindings.empty()) {
        out += "  (shown above)\n";
      } else {
        out += "  " + kinds_summary(c, c.instances[target], utf8) + "\n";
        drawn.insert(target);
        path.push_back(target);
        children(target, prefix + (is_last ? space : pipe), path);
        path.pop_back();
      }
    }
  }
};

}  // namespace

std::string dependency_tree(const compiler::Compilation& c, bool utf8) {
  Drawing d{
      c,  utf8, utf8 ? "├── " : "|-- ", utf8 ? "└── " : "`-- ", utf8 ? "│   " : "|   ", "    ",
      {}, {}};
  std::vector<bool> depended_on(c.instances.size(), false);
  for (size_t i = 0; i < c.instances.size(); ++i) {
    for (const compiler::Binding& b : c.instances[i].bindings) {
      if (b.target && *b.target != i) depended_on[*b.target] = true;
    }
  }
  // Namespaces in the order their first instance was declared.
  std::vector<std::string> namespaces;
  for (const auto& inst : c.instances) {
    bool seen = false;
    for (const std::string& ns : namespaces) seen = seen || ns == inst.decl.ns;
    if (!seen) namespaces.push_back(inst.decl.ns);
  }
  for (const std::string& ns : namespaces) {
    bool header = false;
    for (size_t i = 0; i < c.instances.size(); ++i) {
      const compiler::CompiledInstance& inst = c.instances[i];
      if (inst.decl.ns != ns || depended_on[i]) continue;
      if (!header) {
        d.out += (d.out.empty() ? "" : "\n") + std::string("Namespace: ") + ns + "\n";
        header = true;
      }
      d.out += inst.decl.name + "  " + kinds_summary(c, inst, utf8) + "\n";
      d.drawn.insert(i);
      std::vector<size_t> path{i};
      d.children(i, "", path);
    }
  }
  // Instances that depend on one another in a ring have no root: draw what
  // is left from its first instance, so nothing is missing.
  for (size_t i = 0; i < c.instances.size(); ++i) {
    if (d.drawn.count(i)) continue;
    const compiler::CompiledInstance& inst = c.instances[i];
    d.out += "\nNamespace: " + inst.decl.ns + "\n" + inst.decl.name + "  " +
             kinds_summary(c, inst, utf8) + "\n";
    d.drawn.insert(i);
    std::vector<size_t> path{i};
    d.children(i, "", path);
  }
  return d.out;
}

}  // namespace kix::cli
