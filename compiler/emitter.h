// The emit pass: evaluates instances in dependency order (options, checks,
// resource templates, outputs), decorates what they emit, and records for
// every resource the resources whose values flowed into it.
#pragma once

#include "compiler/cluster_definition.h"
#include "compiler/compilation.h"
#include "compiler/resolver.h"

namespace kix::compiler {

// Fills `out.instances` and `out.resources` from `resolution`. Errors about
// one instance go to `out.errors` (the instance and its dependents are then
// skipped); warnings go to `diags`.
void emit(const ClusterDefinition& def, Resolution resolution, Compilation& out,
          Diagnostics& diags);

}  // namespace kix::compiler
