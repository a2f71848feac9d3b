// The files `kix package new NAME` starts a package with
// (docs/commands/package.md): a package.yaml with options, a domain check,
// a Deployment and its Service and an `out` contract, a test case that
// builds and one that shows the check firing.
// The README and the test's expected output are made from them by the
// caller (package_docs, the test runner), so they agree by construction.
//
// Pure functions.
#pragma once

#include <string>
#include <vector>

namespace kix::compiler {

struct ScaffoldFile {
  std::string path;  // relative to the package directory
  std::string content;
};

// package.yaml and the test cases (test/cluster.yaml, and
// test/privileged-port/ with its expected-errors.txt) of a package named `name` (a DNS
// label); the first line of each names its editor schema, from the files
// `package_schema` and `cluster_schema` (schema/editor/…).
std::vector<ScaffoldFile> package_scaffold(const std::string& name,
                                           const std::string& package_schema,
                                           const std::string& cluster_schema);

// What the README says below the generated part: how to use the package,
// its check, and how to work on it.
std::string scaffold_readme_tail(const std::string& name);

}  // namespace kix::compiler
