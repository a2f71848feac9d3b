#include "compiler/resolver.h"

#include <algorithm>
#include <functional>
#include <map>

#include "util/suggest.h"

namespace kix::compiler {

namespace {

constexpr const char* kSearchPathHint =
    "packages are searched in packagePaths, then KIX_PACKAGES_PATH, then the built-in library";

// Instances reachable by a name or alias, per namespace and for the
// infrastructure.
struct NameIndex {
  std::map<std::string, std::map<std::string, std::vector<size_t>>> by_namespace;
  std::map<std::string, std::vector<size_t>> infrastructure;

  void add(const InstanceDecl& d, size_t index) {
    auto& names = d.infrastructure ? infrastructure : by_namespace[d.ns];
    names[d.name].push_back(index);
    for (const auto& alias : d.aliases) {
      if (alias != d.name) names[alias].push_back(index);
    }
  }
};

class Resolver {
 public:
  Resolver(const ClusterDefinition& def, PackageLibrary& library, Diagnostics& diags,
           std::vector<Error>& errors)
      : def_(def), library_(library), diags_(diags), errors_(errors) {}

  Resolution run() {
    load_available_packages();
    for (const auto& decl : def_.instances) add_instance(decl);
    // Auto-instantiated instances are appended while the loop runs and are
    // resolved in turn.
    for (size_t i = 0; i < res_.instances.size(); ++i) bind_needs(i);
    order();
    return std::move(res_);
  }

 private:
  size_t add_instance(InstanceDecl decl) {
    ResolvedInstance r;
    r.decl = std::move(decl);
    if (!r.decl.package.empty()) {
      r.package = library_.find(r.decl.package, diags_);
      if (r.package == nullptr) {
        std::string hint = did_you_mean(r.decl.package, library_.names());
        if (hint.empty()) hint = kSearchPathHint;
        errors_.emplace_back(ErrorKind::kNotFound,
                             "unknown package '" + r.decl.package + "' for instance '" +
                                 r.decl.name + "' in namespace '" + r.decl.ns + "'",
                             def_.locate(r.decl.pointer + "/package"), hint);
        r.failed = true;
      }
    }
    size_t index = res_.instances.size();
    index_.add(r.decl, index);
    res_.instances.push_back(std::move(r));
    return index;
  }

  void report(size_t i, Error error) {
    res_.instances[i].failed = true;
    errors_.push_back(std::move(error));
  }

  void bind_needs(size_t i) {
    if (res_.instances[i].package == nullptr || res_.instances[i].decl.external) return;
    const Package& pkg = *res_.instances[i].package;
    const InstanceDecl decl = res_.instances[i].decl;
    for (const auto& [need, target] : decl.deps) {
      if (!pkg.needs_anything(need)) {
        std::vector<std::string> all = pkg.needs;
        all.insert(all.end(), pkg.optional_needs.begin(), pkg.optional_needs.end());
        std::string hint = did_you_mean(need, all);
        report(i, Error(ErrorKind::kInvalidInput,
                        "instance '" + decl.name + "' wires '" + need + "', but package '" +
                            pkg.name + "' has no need of that name",
                        def_.locate(decl.pointer + "/deps/" + json_pointer_escape(need)),
                        hint.empty() ? "its needs: " + join_names(all) : hint));
      }
    }
    for (const auto& need : pkg.needs) bind(i, need, false);
    for (const auto& need : pkg.optional_needs) bind(i, need, true);
  }

  void bind(size_t i, const std::string& need, bool optional) {
    Binding b;
    b.need = need;
    b.optional = optional;
    const InstanceDecl& decl = res_.instances[i].decl;
    try {
      if (decl.deps.count(need)) {
        b.target = explicit_dep(decl, need);
        b.how = "deps";
      } else if (auto t = unique_match(
                     i, need,
                     decl.infrastructure ? index_.infrastructure : index_.by_namespace[decl.ns])) {
        b.target = t;
        b.how = res_.instances[*t].decl.name == need ? "name" : "alias";
      } else if (auto t2 = unique_match(i, need, index_.infrastructure)) {
        b.target = t2;
        b.how = "infrastructure";
      } else if (auto t3 = auto_instantiate(i, need, optional)) {
        b.target = t3;
        b.how = "auto-instantiated";
      } else if (optional) {
        b.how = "absent";
      } else {
        report(i, missing_need(i, need));
        return;
      }
    } catch (Error& e) {
      report(i, std::move(e));
      return;
    }
    res_.instances[i].bindings.push_back(std::move(b));
  }

  size_t explicit_dep(const InstanceDecl& decl, const std::string& need) {
    const std::string& target = decl.deps.at(need);
    std::string ns = decl.ns, name = target;
    if (auto slash = target.find('/'); slash != std::string::npos) {
      ns = target.substr(0, slash);
      name = target.substr(slash + 1);
    }
    std::vector<std::string> candidates;
    for (size_t j = 0; j < res_.instances.size(); ++j) {
      const InstanceDecl& d = res_.instances[j].decl;
      if (d.name == name &&
          (d.ns == ns || (d.infrastructure && target.find('/') == std::string::npos)))
        return j;
      candidates.push_back(d.ns == decl.ns ? d.name : d.qualified());
    }
    std::string hint = did_you_mean(target, candidates);
    throw Error(ErrorKind::kNotFound,
                "instance '" + decl.name + "' wires '" + need + "' to '" + target +
                    "', which does not exist",
                def_.locate(decl.pointer + "/deps/" + json_pointer_escape(need)),
                hint.empty() ? "name an instance of the same namespace, \"namespace/name\", or an "
                               "infrastructure instance"
                             : hint);
  }

  // The one instance other than `i` named or aliased `need` in `names`;
  // nullopt for none; an ambiguity error for several.
  std::optional<size_t> unique_match(size_t i, const std::string& need,
                                     std::map<std::string, std::vector<size_t>>& names) {
    auto it = names.find(need);
    if (it == names.end()) return std::nullopt;
    std::vector<size_t> matches;
    for (size_t j : it->second) {
      if (j != i) matches.push_back(j);
    }
    if (matches.empty()) return std::nullopt;
    if (matches.size() > 1) throw ambiguous(i, need, matches);
    return matches[0];
  }

  // The namespace in the message is the consumer's, whichever level matched:
  // that is where the user adds `deps` to settle it.
  Error ambiguous(size_t i, const std::string& need, const std::vector<size_t>& matches) {
    const InstanceDecl& decl = res_.instances[i].decl;
    std::string list;
    for (size_t j : matches) {
      const InstanceDecl& m = res_.instances[j].decl;
      list += (list.empty() ? "" : "\n") + std::string("  '") + m.name + "' (" +
              (m.auto_instantiated ? "package " + m.package : def_.locate(m.pointer).str()) + ")";
    }
    std::string ns = decl.infrastructure ? "the infrastructure" : "namespace '" + decl.ns + "'";
    return Error(ErrorKind::kConflict, "ambiguous auto-resolution for '" + need + "' in " + ns,
                 decl.where,
                 "instance '" + decl.name + "' needs '" + need + "' and these all match:\n" + list +
                     "\nchoose one with `deps: { " + need + ": <instance> }` on instance '" +
                     decl.name + "', or remove the name from the others' aliases");
  }

  // Looks up availablePackages once, so an unknown entry is one error at
  // its own line rather than one per need that reaches auto-instantiation.
  // Without the field, the whole package library is available, read when
  // a need first reaches auto-instantiation.
  void load_available_packages() {
    if (!def_.available_packages_declared) return;
    for (size_t k = 0; k < def_.available_packages.size(); ++k) {
      const std::string& name = def_.available_packages[k];
      if (const Package* p = library_.find(name, diags_)) {
        available_.push_back(p);
        continue;
      }
      std::string hint = did_you_mean(name, library_.names());
      errors_.emplace_back(ErrorKind::kNotFound,
                           "availablePackages names '" + name + "', which is not a known package",
                           def_.locate("/availablePackages/" + std::to_string(k)),
                           hint.empty() ? kSearchPathHint : hint);
    }
  }

  void load_library() {
    if (library_loaded_) return;
    library_loaded_ = true;
    for (const std::string& name : library_.names()) {
      try {
        if (const Package* p = library_.find(name, diags_)) available_.push_back(p);
      } catch (const Error& e) {
        // A broken package nobody names must not fail every build that
        // auto-instantiates; one that is named fails where it is named.
        diags_.warn(e.where(), "package '" + name + "' cannot be read: " + e.message(),
                    "it is not considered for auto-instantiation; fix it or remove it from the "
                    "search path");
      }
    }
  }

  // The library offers packages for required needs only: an optional need
  // (a StorageClass, an operator) stays absent rather than growing a copy
  // in every namespace. A declared availablePackages offers them for both.
  std::optional<size_t> auto_instantiate(size_t i, const std::string& need, bool optional) {
    if (!def_.available_packages_declared) {
      if (optional) return std::nullopt;
      load_library();
    }
    std::vector<const Package*> candidates;
    for (const Package* p : available_) {
      if (p->name == need ||
          std::find(p->provides.begin(), p->provides.end(), need) != p->provides.end()) {
        candidates.push_back(p);
      }
    }
    if (candidates.empty()) return std::nullopt;
    // A package named like the need is a better match than one that only
    // provides it.
    auto exact = std::find_if(candidates.begin(), candidates.end(),
                              [&](const Package* p) { return p->name == need; });
    if (exact != candidates.end()) candidates = {*exact};
    const InstanceDecl& consumer = res_.instances[i].decl;
    if (candidates.size() > 1) {
      std::string list;
      for (const auto* p : candidates) list += (list.empty() ? "" : ", ") + p->name;
      throw Error(
          ErrorKind::kConflict,
          "ambiguous auto-resolution for '" + need + "' in namespace '" + consumer.ns + "'",
          consumer.where,
          std::string(def_.available_packages_declared ? "availablePackages"
                                                       : "the package library") +
              " has several packages providing '" + need + "': " + list +
              "\ndeclare the instance you want" +
              (def_.available_packages_declared ? ", or remove the others from availablePackages"
                                                : ", or list the one to use in availablePackages"));
    }
    InstanceDecl d;
    d.name = need;
    d.ns = consumer.ns;
    d.package = candidates[0]->name;
    d.infrastructure = consumer.infrastructure;
    d.auto_instantiated = true;
    d.auto_reason = "needed as '" + need + "' by " + consumer.qualified();
    d.pointer = consumer.pointer;
    d.where = consumer.where;
    return add_instance(std::move(d));
  }

  Error missing_need(size_t i, const std::string& need) {
    const InstanceDecl& decl = res_.instances[i].decl;
    const std::string& pkg = res_.instances[i].package->name;
    // The wording of these lines is part of kix's interface (seed 000).
    std::string explanation =
        "\n     The package '" + pkg + "' requires a dependency named '" + need +
        "'\n     but no instance with that name or alias exists in namespace '" + decl.ns +
        "'\n     and no matching package was found in availablePackages for auto-instantiation.\n" +
        "\n     Declare one with `aliases: [" + need + "]` in namespace '" + decl.ns +
        "', or wire it with `deps: { " + need + ": <instance> }`.";
    if (def_.available_packages_declared && library_.find(need, diags_) != nullptr) {
      explanation += "\n     The package '" + need +
                     "' exists: add it to availablePackages to auto-instantiate it.";
    }
    return Error(ErrorKind::kNotFound,
                 "no '" + need + "' found in cluster for namespace '" + decl.ns + "'", decl.where,
                 explanation);
  }

  // Orders instances dependencies first; reports each cycle once.
  void order() {
    const size_t n = res_.instances.size();
    std::vector<int> state(n, 0);
    std::vector<size_t> stack;
    std::function<void(size_t)> visit = [&](size_t i) {
      if (state[i] == 2) return;
      if (state[i] == 1) {
        cycle(stack, i);
        return;
      }
      state[i] = 1;
      stack.push_back(i);
      for (const auto& b : res_.instances[i].bindings) {
        if (b.target) visit(*b.target);
      }
      stack.pop_back();
      state[i] = 2;
      res_.order.push_back(i);
    };
    for (size_t i = 0; i < n; ++i) visit(i);
  }

  void cycle(const std::vector<size_t>& stack, size_t start) {
    auto from = std::find(stack.begin(), stack.end(), start);
    std::string path;
    for (auto it = from; it != stack.end(); ++it) {
      path += res_.instances[*it].decl.qualified() + " -> ";
      res_.instances[*it].failed = true;
    }
    path += res_.instances[start].decl.qualified();
    std::string detail;
    for (auto it = from; it != stack.end(); ++it) {
      const auto& r = res_.instances[*it];
      size_t next = (it + 1 == stack.end()) ? start : *(it + 1);
      for (const auto& b : r.bindings) {
        if (b.target == next) {
          detail += (detail.empty() ? "" : "\n") + std::string("  ") + r.decl.qualified() +
                    " needs '" + b.need + "' (" + b.how + ") at " +
                    def_.locate(r.decl.pointer).str();
          break;
        }
      }
    }
    errors_.emplace_back(
        ErrorKind::kInvalidInput, "dependency cycle: " + path, res_.instances[start].decl.where,
        detail + "\nbreak the cycle: an instance cannot depend on itself, even indirectly");
  }

  const ClusterDefinition& def_;
  PackageLibrary& library_;
  Diagnostics& diags_;
  std::vector<Error>& errors_;
  Resolution res_;
  NameIndex index_;
  std::vector<const Package*> available_;  // availablePackages that exist, in order
  bool library_loaded_ = false;            // available_ holds the whole library
};

}  // namespace

Resolution resolve(const ClusterDefinition& def, PackageLibrary& library, Diagnostics& diags,
                   std::vector<Error>& errors) {
  return Resolver(def, library, diags, errors).run();
}

}  // namespace kix::compiler
