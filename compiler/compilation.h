// The result of compiling a cluster definition: instances with their
// wiring, the emitted resources with their provenance, and the Merkle graph.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "compiler/package_library.h"
#include "compiler/resolver.h"
#include "compiler/template.h"
#include "compiler/value.h"
#include "manifest/merkle.h"

namespace kix::compiler {

inline constexpr size_t kNoInstance = std::numeric_limits<size_t>::max();

struct CompiledInstance {
  InstanceDecl decl;
  const Package* package = nullptr;  // owned by Compilation::library
  std::vector<Binding> bindings;
  Json config;                    // with defaults applied
  Value out;                      // what dependents see
  std::vector<size_t> resources;  // indices into Compilation::resources
  bool failed = false;            // not evaluated (an error was reported)
  bool evaluated = false;
};

struct CompiledResource {
  Json manifest;
  size_t instance = kNoInstance;         // kNoInstance for generated Namespaces
  std::string key;                       // template key; "" for generated Namespaces
  Provenance refs;                       // resources whose values flowed into this one
  std::vector<std::string> ref_reasons;  // parallel to refs
  std::vector<Interpolation> interpolations;
  TemplateSource source;  // where the template is (doc null for generated ones)
  SourceLocation where;
};

struct Compilation {
  std::string cluster;
  std::string definition_file;
  std::unique_ptr<PackageLibrary> library;  // keeps packages (and their documents) alive
  std::vector<CompiledInstance> instances;
  std::vector<CompiledResource> resources;
  // Errors in the definition or its packages: failed checks, unresolved
  // needs, type errors, schema violations. The build fails when any exist.
  std::vector<Error> errors;
  Graph graph;  // built when errors is empty; manifests parallel to resources

  bool ok() const { return errors.empty(); }
  size_t auto_instantiated() const;
};

}  // namespace kix::compiler
