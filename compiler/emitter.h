// The emit pass: evaluates instances in dependency order (options, let
// bindings, checks, resource templates — one resource per element of a
// forEach — and outputs), decorates what they emit, and records for every
// resource the resources whose values flowed into it.
#pragma once

#include "compiler/chart_source.h"
#include "compiler/cluster_definition.h"
#include "compiler/compilation.h"
#include "compiler/helm_renderer.h"
#include "compiler/lockfile.h"
#include "compiler/resolver.h"

namespace kix::compiler {

// What rendering a package's chart needs (docs/packages.md, "Charts").
struct ChartContext {
  ChartSource* source = nullptr;      // null: a package with a chart is an error
  ChartRenderer* renderer = nullptr;  // null: likewise
  const Lockfile* lock = nullptr;     // null: no kix.lock
  // kix lock: fetch every chart afresh and record it, instead of requiring
  // a locked digest.
  bool locking = false;
  // kix lock --check: fetch every chart even when its locked digest is
  // cached, so a republished archive is found.
  bool refetch = false;
};

// Fills `out.instances` and `out.resources` from `resolution`. Errors about
// one instance go to `out.errors` (the instance and its dependents are then
// skipped); warnings go to `diags`.
void emit(const ClusterDefinition& def, Resolution resolution, Compilation& out, Diagnostics& diags,
          const ChartContext& charts = {});

}  // namespace kix::compiler
