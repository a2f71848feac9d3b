#include "compiler/compiler.h"

#include <map>
#include <set>

#include "compiler/cluster_definition.h"
#include "compiler/emitter.h"
#include "compiler/network_policies.h"
#include "compiler/resolver.h"
#include "compiler/resource_patches.h"
#include "compiler/schema_validator.h"
#include "compiler/selector_check.h"
#include "manifest/config_hash.h"
#include "manifest/secret_seal.h"
#include "manifest/secret_sources.h"

namespace kix::compiler {

size_t Compilation::auto_instantiated() const {
  size_t n = 0;
  for (const auto& i : instances) n += i.decl.auto_instantiated;
  return n;
}

namespace {

void record_packages(Compilation& c, const ClusterDefinition& def, const CompileOptions& options) {
  std::map<std::string, const Package*> used;
  for (const CompiledInstance& inst : c.instances) {
    if (inst.package != nullptr) used.emplace(inst.package->name, inst.package);
  }
  const std::filesystem::path base = std::filesystem::path(def.file).parent_path();
  for (const auto& [name, pkg] : used) {
    std::error_code ec;
    bool builtin = !options.builtin_library.empty() &&
                   std::filesystem::equivalent(pkg->dir.parent_path(), options.builtin_library, ec);
    std::string source =
        builtin ? "builtin"
                : pkg->dir.lexically_proximate(base.empty() ? "." : base).generic_string();
    c.packages.push_back({name, source, package_content_hash(pkg->dir)});
  }
}

void check_locked_packages(Compilation& c) {
  const SourceLocation where{c.lock_path.string(), 0, 0};
  const size_t before = c.errors.size();
  for (const UsedPackage& p : c.packages) {
    auto it = c.lock->packages.find(p.name);
    if (it == c.lock->packages.end()) {
      c.errors.emplace_back(ErrorKind::kNotFound,
                            "package '" + p.name + "' (" + p.source + ") is not in kix.lock", where,
                            "run `kix lock` to record it");
      continue;
    }
    if (it->second.sha256 != p.sha256 || it->second.source != p.source) {
      c.errors.emplace_back(
          ErrorKind::kConflict,
          "package '" + p.name + "' is not what kix.lock holds: locked " + it->second.source +
              " sha256 " + it->second.sha256.hex() + ", found " + p.source + " sha256 " +
              p.sha256.hex(),
          where,
          "the package changed (an edit, or a kix upgrade with a new built-in library): review "
          "the change, then run `kix lock` to record it");
    }
  }
  if (c.errors.size() > before) c.inputs_failed = true;
}

// Rewrites every image kix.lock pins to its digest (or, when locking with
// --images, resolves every tag); see compiler/image_pins.h.
void pin_images(Compilation& c, const CompileOptions& options, Diagnostics& diags) {
  const bool resolve_all = options.locking && options.lock_images;
  const bool verify = !options.locking && (options.locked || options.refetch);
  std::map<std::string, std::string> resolved;  // one registry request per tag
  auto resolve = [&](const std::string& image, const SourceLocation& where) -> std::string {
    auto it = resolved.find(image);
    if (it != resolved.end()) return it->second;
    if (options.images == nullptr) {
      throw Error(ErrorKind::kInvalidInput, "this command cannot ask registries for digests",
                  where);
    }
    std::string digest = options.images->resolve(image);
    resolved.emplace(image, digest);
    return digest;
  };
  for (const ImageUse& use : find_images(c.resources)) {
    if (has_digest(use.image)) continue;
    CompiledResource& r = c.resources[use.resource];
    try {
      if (resolve_all) {
        c.images[use.image] = resolve(use.image, r.where);
        continue;
      }
      if (options.locking) {
        // kix lock without --images keeps the pins there are.
        if (c.lock && c.lock->images.count(use.image)) {
          c.images[use.image] = c.lock->images.at(use.image);
        }
        continue;
      }
      const std::string* pinned = nullptr;
      if (c.lock) {
        auto it = c.lock->images.find(use.image);
        if (it != c.lock->images.end()) pinned = &it->second;
      }
      if (pinned == nullptr) {
        // Pinning is opted into with a kix.lock: without one, nothing is said.
        if (!c.lock && !options.locked) continue;
        const std::string what = "image " + use.image + " is not pinned in kix.lock";
        const std::string hint = "run `kix lock --images` to record the digest it resolves to";
        if (options.locked) {
          c.inputs_failed = true;
          c.errors.emplace_back(ErrorKind::kNotFound, what, r.where, hint);
        } else {
          diags.warn(r.where, what, hint);
        }
        continue;
      }
      if (verify) {
        std::string now = resolve(use.image, r.where);
        if (now != *pinned) {
          c.inputs_failed = true;
          c.errors.emplace_back(ErrorKind::kConflict,
                                "image " + use.image + " is not what kix.lock holds: locked " +
                                    *pinned + ", the registry now has " + now,
                                r.where,
                                "the tag was pushed again; if you trust the new image, run "
                                "`kix lock --images`");
          continue;
        }
      }
      r.manifest[Json::json_pointer(use.pointer)] = use.image + "@" + *pinned;
      c.images[use.image] = *pinned;
    } catch (Error& e) {
      c.inputs_failed = true;
      e.with_context("while resolving image " + use.image);
      c.errors.push_back(std::move(e));
    }
  }
}

}  // namespace

Compilation compile(const CompileOptions& options, Diagnostics& diags) {
  ClusterDefinition def = load_cluster_definition(options.definition, diags);
  std::vector<std::filesystem::path> search = options.first_paths;
  search.insert(search.end(), def.package_paths.begin(), def.package_paths.end());
  search.insert(search.end(), options.library_paths.begin(), options.library_paths.end());

  Compilation c;
  c.cluster = def.name;
  c.definition_file = def.file;
  c.library = std::make_unique<PackageLibrary>(std::move(search));
  c.lock_path = std::filesystem::path(def.file).parent_path() / kLockFileName;
  if (std::filesystem::exists(c.lock_path)) {
    c.lock = read_lockfile(c.lock_path);
  } else if ((options.locked || options.refetch) && !options.locking) {
    throw Error(ErrorKind::kNotFound, "--locked: there is no " + c.lock_path.string(), {},
                "run `kix lock` to write it, and commit it beside " + def.file);
  }
  Resolution resolution = resolve(def, *c.library, diags, c.errors);
  if (options.rewrite_resolution && c.ok()) options.rewrite_resolution(resolution);
  ChartContext charts{options.charts, options.renderer, c.lock ? &*c.lock : nullptr,
                      options.locking, options.refetch};
  emit(def, std::move(resolution), c, diags, charts);
  record_packages(c, def, options);
  if (!options.locking && c.lock) check_locked_packages(c);
  pin_images(c, options, diags);
  derive_network_policies(c, def.network_policies);
  warn_unmatched_selectors(c, diags);
  if (options.validator != nullptr) validate_resources(c, *options.validator, diags);
  if (c.ok()) build_compiled_graph(c, options.keys);
  return c;
}

void validate_resources(Compilation& c, const SchemaValidator& builtin, Diagnostics& diags) {
  // The build's own CRDs validate the custom resources after them.
  std::vector<Json> crds;
  for (const auto& r : c.resources) {
    if (r.manifest.value("kind", "") == "CustomResourceDefinition") crds.push_back(r.manifest);
  }
  std::unique_ptr<SchemaValidator> overlay;
  if (!crds.empty()) overlay = builtin.with_crds(crds);
  const SchemaValidator& validator = overlay ? *overlay : builtin;
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
      // A value a patch wrote is the patch's to answer for.
      const PatchedValue* patched = patched_value_at(r, v.pointer);
      if (patched != nullptr) where = patched->where;
      c.errors.emplace_back(
          ErrorKind::kInvalidInput,
          kind + " '" + name + "': " + v.message + " at " + v.pointer +
              (patched != nullptr        ? " (written by a " + patched->how + ")"
               : r.rendered_from.empty() ? ""
                                         : " (rendered from " + r.rendered_from + ")"),
          where,
          is_secret_source(r.manifest)
              ? "see docs/secrets.md for the fields of " + api_version + " " + kind
              : "check the field against the Kubernetes API reference for " + api_version + " " +
                    kind);
      if (pkg != nullptr) pkg->quote_source(c.errors.back());
    }
  }
}

namespace {

// Who emits the first object that two resources share: two instances, or
// two templates (or forEach elements) of one.
std::string collision_context(const Compilation& c, const std::vector<Manifest>& manifests) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < manifests.size() && i < c.resources.size(); ++i) {
    auto [it, fresh] = seen.emplace(manifests[i].id.key(), i);
    if (fresh) continue;
    const CompiledResource& a = c.resources[it->second];
    const CompiledResource& b = c.resources[i];
    auto who = [&](const CompiledResource& r) {
      return r.instance == kNoInstance ? std::string("kix")
                                       : "instance " + c.instances[r.instance].decl.qualified();
    };
    if (a.instance == b.instance && a.instance != kNoInstance) {
      return who(a) + " emits it twice, from templates '" + a.key + "' and '" + b.key +
             "': give one of them its own metadata.name (a forEach entry: a name that uses "
             "each.key)";
    }
    return who(a) + " and " + who(b) + " both emit it; give one of them a different name";
  }
  return "two instances emit the same object; give one of them a different name";
}

}  // namespace

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
    e.with_context(collision_context(c, manifests));
    c.errors.push_back(std::move(e));
    return;
  }
  // Pods roll when what they consume changes (docs/hashing.md §7).
  annotate_config_hashes(manifests, refs);
  c.graph = build_graph(std::move(manifests), std::move(refs), std::move(reasons));
}

}  // namespace kix::compiler
