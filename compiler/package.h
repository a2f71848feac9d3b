// Packages (docs/packages.md): a directory whose package.yaml declares a
// signature (needs), options (a JSON-Schema subset), let bindings, checks,
// resource templates (optionally repeated with forEach) and outputs. This is the passive model plus
// its loader.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "manifest/document.h"
#include "util/diagnostics.h"

namespace kix::compiler {

// The file name of a package's manifest inside its directory.
inline constexpr const char* kPackageManifest = "package.yaml";

// A domain check: an error unless a condition holds, or a warning when one
// holds. The message interpolates like any template string.
struct PackageCheck {
  bool is_error = true;
  std::string message;           // the raw template text
  std::string condition;         // expression text (inside or without ${ })
  bool fails_when_true = false;  // `when:` (true) or `unless:` (false)
  std::string pointer;           // JSON Pointer of the check in the manifest
  SourceLocation where;
};

// A `let` binding (docs/packages.md, "Let"): a named template value,
// evaluated after the options and before the checks, visible by its bare
// name to the bindings below it, checks, resources and out.
struct LetBinding {
  std::string name;
  std::string pointer;  // JSON Pointer of its value in the manifest
  SourceLocation where;
};

// One resource a package emits; with `for_each`, one per element of a list
// or map (docs/packages.md, "forEach").
struct ResourceTemplate {
  std::string key;                // `resources.<key>` in expressions
  std::string pointer;            // JSON Pointer of the manifest template
  std::string when;               // optional condition (expression text)
  std::string selects;            // key of a workload whose pod labels it selects
  std::string for_each;           // optional: a list or map (expression text)
  std::string element_key;        // optional with for_each: each element's key (expression text)
  std::vector<std::string> uses;  // keys of sibling resources it reads
  SourceLocation where;

  bool repeated() const { return !for_each.empty(); }
};

// A Helm chart the package renders (docs/packages.md, "Charts"). The
// fields are template values: `values`, `namespace` and `releaseName` may
// interpolate (`${config.x}`); repository, name and version are plain
// strings, so `kix lock` can find every chart without evaluating anything.
struct ChartTemplate {
  std::string repository;  // https://…, oci://…, or a .tgz path relative to the package
  std::string name;
  std::string version;
  bool include_crds = true;
  std::string pointer = "/chart";  // JSON Pointer of the section in package.yaml
  SourceLocation where;
};

struct Package {
  std::string name;
  std::filesystem::path dir;
  std::string file;  // path of package.yaml as shown in diagnostics
  Document doc;      // the manifest, with locations
  std::string text;  // the manifest's source, for quoting lines in diagnostics
  std::string description;
  std::vector<std::string> needs;           // required
  std::vector<std::string> optional_needs;  // null when not found
  std::vector<std::string> provides;        // extra names it can be auto-instantiated as
  Json options = Json::object();            // option name -> JSON-Schema subset
  std::vector<LetBinding> lets;             // in the order written
  std::vector<PackageCheck> checks;
  std::vector<ResourceTemplate> resources;  // in dependency order (uses first)
  std::optional<ChartTemplate> chart;
  bool has_out = false;

  bool needs_anything(const std::string& need) const;
  // Adds the quoted source line to `error` when it points into this
  // package's manifest and has none yet.
  void quote_source(Error& error) const;
};

// Loads `<dir>/package.yaml`. The package's name is its `package:` field,
// which must equal the directory name. Throws kix::Error at the offending
// line for unknown fields, malformed needs, options, let bindings or
// templates, and for resources that use each other in a cycle.
Package load_package(const std::filesystem::path& dir, Diagnostics& diags);

}  // namespace kix::compiler
