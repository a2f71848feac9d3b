// Resolution (docs/cluster-definitions.md): binds every need of every instance to an
// instance, in this order: explicit `deps`; an instance named or aliased
// like the need in the same namespace; the cluster's infrastructure; a
// package from availablePackages, auto-instantiated; otherwise an error for
// a required need and null for an optional one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/cluster_definition.h"
#include "compiler/package_library.h"

namespace kix::compiler {

struct Binding {
  std::string need;
  bool optional = false;
  std::optional<size_t> target;  // index into Resolution::instances; nullopt: null
  std::string how;  // "deps", "name", "alias", "infrastructure", "auto-instantiated", "absent"
};

struct ResolvedInstance {
  InstanceDecl decl;
  const Package* package = nullptr;  // null for an external instance without package
  std::vector<Binding> bindings;
  bool failed = false;  // an error was reported for it; it is not evaluated
};

struct Resolution {
  std::vector<ResolvedInstance> instances;  // declared, then auto-instantiated
  std::vector<size_t> order;                // dependencies before dependents
};

// Resolves `def`. Errors that concern one instance (unknown package,
// missing need, ambiguity, a dependency cycle) are appended to `errors` and
// resolution carries on, so one run reports as many as it can; the
// instances concerned are marked failed. Throws only for malformed packages.
Resolution resolve(const ClusterDefinition& def, PackageLibrary& library, Diagnostics& diags,
                   std::vector<Error>& errors);

}  // namespace kix::compiler
