// A selector that matches nothing (docs/packages.md, "Resources"): a
// Service or PodDisruptionBudget whose hand-written selector no pod of the
// build carries gets no endpoints (or protects nothing), and the build
// says so instead of leaving it to be found at run time.
//
// The pods of the build are the pod templates of its workloads, CronJobs
// and Pods in the selector's namespace, and, for pods an operator makes,
// the out.podSelector of its instances there (a selector that includes
// one is taken to match). A selector kix derived (`selects`) always
// matches and is not checked.
//
// Thread-safety: pure; runs on one compilation.
#pragma once

#include "compiler/compilation.h"
#include "util/diagnostics.h"

namespace kix::compiler {

// One warning per selector that matches no pod, at the resource's
// template, naming it and the nearest workload of its instance (whose pod
// labels it probably meant).
void warn_unmatched_selectors(const Compilation& c, Diagnostics& diags);

}  // namespace kix::compiler
