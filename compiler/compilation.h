// The result of compiling a cluster definition: instances with their
// wiring, the emitted resources with their provenance, and the Merkle graph.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/lockfile.h"
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
  Json tests = Json::array();     // the package's post-deploy tests, rendered
  std::vector<size_t> resources;  // indices into Compilation::resources
  bool failed = false;            // not evaluated (an error was reported)
  bool evaluated = false;
};

// A value of a resource that a patch of its instance (`patches:` in the
// cluster definition) wrote: what `kix explain` shows as its origin.
struct PatchedValue {
  std::string pointer;   // JSON Pointer in the resource: "/spec/template/spec/tolerations"
  std::string path;      // the same for people: "spec.template.spec.tolerations"
  std::string how;       // "merge patch", "JSON patch operation 1 (add)"
  SourceLocation where;  // the patch value (or operation) in the definition
  Provenance prov;       // resources its `${...}` expressions read
};

struct CompiledResource {
  Json manifest;
  size_t instance = kNoInstance;         // kNoInstance for generated Namespaces
  std::string key;                       // template key; "" for generated Namespaces
  std::string element;                   // a forEach element's key; "" otherwise
  Provenance refs;                       // resources whose values flowed into this one
  std::vector<std::string> ref_reasons;  // parallel to refs
  std::vector<Interpolation> interpolations;
  std::vector<PatchedValue> patched;  // in the order the patches wrote them
  TemplateSource source;              // where the template is (doc null for generated ones)
  std::string rendered_from;  // a chart's resource: "helm template <chart>: <template path>"
  SourceLocation where;
};

// A chart the build rendered, as kix.lock records it.
struct UsedChart {
  std::string repository;
  std::string name;
  std::string version;
  std::string url;
  Hash sha256;
  bool cached = false;  // read from the store, nothing fetched
};

// A resource a chart rendered that deploys leave out: a Helm test hook
// (`helm.sh/hook: test`), listed by `kix plan`.
inline constexpr const char* kHelmHookAnnotation = "helm.sh/hook";

// A package the build used, as kix.lock records it.
struct UsedPackage {
  std::string name;
  std::string source;  // "builtin" or the directory relative to the definition
  Hash sha256;         // package_content_hash
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
  std::vector<UsedChart> charts;      // every chart rendered, in instance order
  std::vector<UsedPackage> packages;  // every package instantiated, by name
  // Image tag -> digest: with kix lock --images, what each tag resolved to
  // now; otherwise the pins the build applied from kix.lock.
  std::map<std::string, std::string> images;
  std::optional<Lockfile> lock;  // kix.lock beside the definition, when there is one
  // An input is not what kix.lock holds, is missing from it, or could not
  // be fetched: the CLI exits 2 (an integrity or environment failure), not 1.
  bool inputs_failed = false;
  std::filesystem::path lock_path;  // where it is (or would be)
  Graph graph;                      // built when errors is empty; manifests parallel to resources

  bool ok() const { return errors.empty(); }
  size_t auto_instantiated() const;
};

}  // namespace kix::compiler
