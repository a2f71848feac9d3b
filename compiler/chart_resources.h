// What a rendered chart becomes (docs/packages.md, "Charts"), shared by
// packages that render charts and by `kix store add --chart`:
//  - a namespaced document without metadata.namespace goes in the chart's
//    namespace (kinds the chart's own CRDs declare cluster-scoped stay
//    without one);
//  - Helm hooks: pre-install/pre-upgrade before the chart's other
//    resources, post-install/post-upgrade after them, a higher
//    helm.sh/hook-weight after a lower one; test hooks stay (after
//    everything; deploys never apply them); delete and rollback hooks are
//    left out;
//  - references among the resources are inferred as for plain manifests,
//    plus the hook order (unless the reverse reference exists: that wins).
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "compiler/helm_renderer.h"
#include "manifest/manifest.h"

namespace kix::compiler {

struct ChartResources {
  std::vector<Manifest> manifests;
  std::vector<std::string> sources;  // the template each came from ("" when unknown)
  // For each manifest, the others it references (indices) and why.
  std::vector<std::vector<std::pair<size_t, std::string>>> refs;
  // Kinds the chart's CRDs declare cluster-scoped.
  std::vector<std::string> cluster_scoped_kinds;

  bool namespaced(const Manifest& m) const;
};

// `docs` as helm rendered them for `chart_label` ("cloudnative-pg 0.29.0")
// into namespace `ns`. Throws kInvalidInput (naming the template) for a
// document that is not a manifest; `where` is the chart's place in its
// package, for the error.
ChartResources chart_resources(std::vector<RenderedDocument> docs, const std::string& ns,
                               const std::string& chart_label, const SourceLocation& where);

}  // namespace kix::compiler
