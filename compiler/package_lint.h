// Static checks of a package (`kix package lint`, docs/commands/package.md):
// what load_package accepts but is still wrong or unfinished. Each finding
// names a rule, the line it is about, what is wrong and what to do.
//
//   rule                  severity  what
//   load-warning          warning   what loading package.yaml warned about
//   expression-syntax     error     an expression that does not parse, an unterminated ${
//   unknown-name          error     an expression reads a name not in its scope
//   unknown-option        error     an expression reads config.X and X is no option
//   unused-option         warning   an option no expression reads
//   check-never-fires     warning   a check that holds for every value of what it reads
//   check-always-fires    error     an error check that fails every instance (a
//                                   warning check: warning)
//   schema                error     a field of a resource template that the
//                                   Kubernetes schema of its kind does not have
//   unknown-kind          warning   a resource kind with no schema (not validated)
//   undocumented-package  warning   no description
//   undocumented-option   warning   an option without a description
//   readme-missing        error     no README.md
//   readme-no-markers     error     a README without the generated part's markers
//   readme-outdated       error     a generated part that differs from package docs
//   no-test               warning   no test/cluster.yaml (nor test/<case>/cluster.yaml)
//
// "Never fires" and "always fires" are decided by evaluating the condition
// for every combination of the options it reads, when each has a finite
// domain (a boolean, an enum, and absent when it has neither a default
// nor `required`), through the let bindings it uses; a condition that reads
// anything else (a need, self, a string option) is left alone.
//
// Pure apart from reading the package's README.md and listing test/.
#pragma once

#include <string>
#include <vector>

#include "compiler/package.h"
#include "compiler/schema_validator.h"

namespace kix::compiler {

struct LintFinding {
  bool is_error = false;
  std::string rule;  // one of the names above
  SourceLocation where;
  std::string message;
  std::string hint;
};

// The findings for `package`, errors and warnings in the order of the
// file. `validator` may be null (no schema and unknown-kind findings).
// `loaded` holds the warnings load_package gave, which become findings.
std::vector<LintFinding> lint_package(const Package& package, const SchemaValidator* validator,
                                      const Diagnostics& loaded = {});

}  // namespace kix::compiler
