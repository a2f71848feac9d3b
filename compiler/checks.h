// Package checks (docs/packages.md): domain knowledge that turns a
// well-formed but wrong definition into an error or a warning at build time.
#pragma once

#include <vector>

#include "compiler/evaluator.h"
#include "compiler/package.h"
#include "util/diagnostics.h"

namespace kix::compiler {

// Evaluates every check of `pkg` in `scope`. A failing `error` check is
// appended to `errors`, a failing `warn` check to `diags`, both located at
// the instance declaration `where` with the check's own location in the
// text. Continuation lines of a message are indented under its first line.
// Throws kix::Error when a condition cannot be evaluated.
void run_checks(const Package& pkg, const Scope& scope, const SourceLocation& where,
                Diagnostics& diags, std::vector<Error>& errors);

}  // namespace kix::compiler
