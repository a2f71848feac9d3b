// Preview environments (docs/commands/preview.md): a build of the working
// tree that holds only what changed against a base root, in a namespace of
// its own, wired to the base for everything else.
//
// plan_preview compares the working tree's compilation with the base
// root, instance by instance:
//   changed    one of its resources is new, gone, or has other bytes;
//   dependent  it needs (directly or through others) a changed instance,
//              or one of its resources has the same bytes but another
//              Merkle node hash (something it references changed);
//   reused     it is unchanged and a changed or dependent instance needs
//              it: the preview binds it as an external instance whose `out`
//              is the base's (its fqdn keeps the base namespace);
//   left out   unchanged and not needed.
// Changed and dependent instances are emitted into the preview namespace:
// the preview's name itself when the cluster's instances live in one
// namespace, else `<namespace>-<name>` for each namespace.
//
// apply_preview then rewrites a resolution of the same definition
// (CompileOptions::rewrite_resolution), so the second compilation emits
// exactly the preview.
//
// Errors (PreviewPlan::errors; the preview is not built): an infrastructure
// instance that changed or depends on a change (it is shared by the whole
// cluster, a preview cannot hold a second copy), a preview namespace that
// is not a Kubernetes name, and, after the preview compiled, a
// cluster-scoped resource other than the preview's Namespaces (it would
// overwrite the base's; check_preview_resources).
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/compilation.h"
#include "manifest/merkle.h"
#include "util/error.h"

namespace kix::compiler {

// The history a preview's generations are recorded under, so each preview
// ages (and is collected by `kix store gc`) on its own:
// "<cluster>.preview.<name>".
std::string preview_history_name(const std::string& cluster, const std::string& name);

enum class PreviewRole { kChanged, kDependent, kReused, kLeftOut };

// "changed", "dependent", "reused", "left out".
const char* preview_role_name(PreviewRole role);

struct PreviewInstance {
  PreviewRole role = PreviewRole::kLeftOut;
  // Why, for people: "Deployment/immich-server @ immich changed",
  // "needs 'postgres' = immich/immich-db, which changed", "needed by immich/immich".
  std::string reason;
  std::string preview_namespace;  // changed and dependent ones: where they go
  // Its resources in the base root (reused and left out ones; by identity,
  // or by the app.kubernetes.io/instance label for what the working tree
  // lacks), with their canonical bytes.
  std::vector<ResourceId> base_resources;
  uint64_t base_bytes = 0;
};

struct PreviewPlan {
  std::string name;
  std::map<std::string, std::string> namespaces;  // base namespace -> preview namespace
  std::vector<PreviewInstance> instances;         // parallel to Compilation::instances
  std::vector<Error> errors;

  bool empty() const;  // nothing changed: the preview would hold nothing
  size_t count(PreviewRole role) const;
};

// The plan for preview `name` of `working` (a compilation without errors)
// against `base` (the base root's graph). `name` must be a Kubernetes name;
// kInvalidInput otherwise (thrown).
PreviewPlan plan_preview(const Compilation& working, const Graph& base, const std::string& name);

// Rewrites `resolution` (of the definition `working` was compiled from,
// resolved again) to the plan: changed and dependent instances move to
// their preview namespace; reused ones become external instances with the
// `out` `working` computed for them, in their base namespace, without
// bindings; left-out ones are dropped. Bindings are remapped, `order` kept.
void apply_preview(const PreviewPlan& plan, const Compilation& working, Resolution& resolution);

// Errors for the preview's own compilation: a cluster-scoped resource
// other than a preview Namespace (deploying it would overwrite the base's).
std::vector<Error> check_preview_resources(const PreviewPlan& plan, const Compilation& preview);

// What the preview's objects use from the base namespaces that Kubernetes
// does not share across namespaces: for each preview resource, the Secrets,
// ConfigMaps, PersistentVolumeClaims and ServiceAccounts it references
// (manifest/references.h) that the preview lacks and the base has, as
// "Deployment/immich-server @ pr-1 uses Secret/immich-db, which only
// namespace immich has".
std::vector<std::string> cross_namespace_uses(const PreviewPlan& plan, const Graph& preview,
                                              const Graph& base);

}  // namespace kix::compiler
