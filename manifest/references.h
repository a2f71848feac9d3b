// References that Kubernetes itself implies between plain manifests
// (docs/hashing.md §4, docs/store.md): Service selectors, volumes, service accounts, env sources,
// RBAC, Ingress backends, custom resources and their CRDs.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"

namespace kix {

struct InferredRef {
  size_t to;           // index into the manifest list
  std::string reason;  // "spec.template.spec.volumes[0].persistentVolumeClaim"
};

// For each manifest, the manifests of the same list it references, with why.
// Only references to manifests present in the list are returned; each target
// appears once per source (the first reason wins).
std::vector<std::vector<InferredRef>> infer_references(const std::vector<Manifest>& manifests);

}  // namespace kix
