#include "compiler/compiler.h"

#include <set>

#include "compiler/cluster_definition.h"
#include "compiler/emitter.h"
#include "compiler/resolver.h"
#include "compiler/schema_validator.h"
#include "manifest/secret_seal.h"
#include "manifest/secret_sources.h"

namespace kix::compiler {

size_t Compilation::auto_instantiated() const {
  size_t n = 0;
  for (const auto& i : instances) n += i.decl.auto_instantiated;
  return n;
}

Compilation compile(const CompileOptions& options, Diagnostics& diags) {
  ClusterDefinition def = load_cluster_definition(options.definition, diags);
  std::vector<std::filesystem::path> search = def.package_paths;
  search.insert(search.end(), options.library_paths.begin(), options.library_paths.end());

  Compilation c;
  c.cluster = def.name;
  c.definition_file = def.file;
  c.library = std::make_unique<PackageLibrary>(std::move(search));
  Resolution resolution = resolve(def, *c.library, diags, c.errors);
  emit(def, std::move(resolution), c, diags);
  if (options.validator != nullptr) validate_resources(c, *options.validator, diags);
  if (c.ok()) build_compiled_graph(c, options.keys);
  return c;
}

void validate_resources(Compilation& c, const SchemaValidator& validator, Diagnostics& diags) {
  std::set<std::string> unknown_kinds;
  for (const auto& r : c.resources) {
    bool known = false;
    auto violations = validator.validate(r.manifest, &known);
    std::string api_version = r.manifest.value("apiVersion", "");
    std::string kind = r.manifest.value("kind", "");
    if (!known) {
      if (unknown_kinds.insert(api_version + " " + kind).second) {
        diags.warn(r.where,
                   "no schema is known for " + api_version + " " + kind +
                       "; its resources are not validated",
                   "add the CRD's schema under schema/ (see schema/README.md)");
      }
      continue;
    }
    std::string name = r.manifest["metadata"].value("name", "");
    const Package* pkg = r.instance == kNoInstance ? nullptr : c.instances[r.instance].package;
    for (const auto& v : violations) {
      SourceLocation where = r.source.doc != nullptr ? r.source.locate(v.pointer) : r.where;
      c.errors.emplace_back(
          ErrorKind::kInvalidInput, kind + " '" + name + "': " + v.message + " at " + v.pointer,
          where,
          is_secret_source(r.manifest)
              ? "see docs/secrets.md for the fields of " + api_version + " " + kind
              : "check the field against the Kubernetes API reference for " + api_version + " " +
                    kind);
      if (pkg != nullptr) pkg->quote_source(c.errors.back());
    }
  }
}

void build_compiled_graph(Compilation& c, SecretKeyring* keys) {
  std::vector<Manifest> manifests;
  manifests.reserve(c.resources.size());
  std::vector<std::vector<size_t>> refs;
  std::vector<std::vector<std::string>> reasons;
  for (size_t i = 0; i < c.resources.size(); ++i) {
    const auto& r = c.resources[i];
    try {
      manifests.push_back(make_manifest(r.manifest, r.where));
    } catch (Error& e) {
      c.errors.push_back(std::move(e));
      continue;
    }
    std::vector<size_t> to;
    std::vector<std::string> why;
    for (size_t k = 0; k < r.refs.size(); ++k) {
      if (r.refs[k] == i) continue;
      to.push_back(r.refs[k]);
      why.push_back(r.ref_reasons[k]);
    }
    refs.push_back(std::move(to));
    reasons.push_back(std::move(why));
  }
  if (!c.ok()) return;
  try {
    seal_manifests(manifests, keys);
  } catch (Error& e) {
    c.errors.push_back(std::move(e));
    return;
  }
  try {
    check_unique_identities(manifests);
  } catch (Error& e) {
    e.with_context("two instances emit the same object; give one of them a different name");
    c.errors.push_back(std::move(e));
    return;
  }
  c.graph = build_graph(std::move(manifests), std::move(refs), std::move(reasons));
}

}  // namespace kix::compiler
