// A Helm chart rendered without a package (`kix store add --chart`,
// docs/commands/store.md): named, pinned like a package's chart, rendered
// into a namespace, and turned into a graph as charts in packages are
// (compiler/chart_resources.h).
//
// Thread-safety: as the chart source and renderer given.
#pragma once

#include <optional>
#include <string>

#include "compiler/chart_source.h"
#include "compiler/helm_renderer.h"
#include "compiler/lockfile.h"
#include "manifest/merkle.h"

namespace kix {
class SecretKeyring;
}

namespace kix::compiler {

struct PlainChartRequest {
  std::string chart;    // oci://registry/path/NAME, NAME (with repo), or a .tgz path
  std::string repo;     // an HTTP(S) chart repository, for a NAME
  std::string version;  // required unless the chart is a local archive
  Json values = Json::object();
  std::string ns = "default";
  std::string release;             // default: the chart's name
  std::optional<Hash> sha256;      // the pin given on the command line
  const Lockfile* lock = nullptr;  // the lock file that may pin it
  bool update_lock = false;        // pin an unpinned chart at its current digest
};

struct PlainChart {
  Graph graph;
  Hash source;  // the archive's SHA-256, kept in the store by `source`
  ChartRef ref;
  // Set when update_lock pinned the chart: the entry to write into the lock.
  std::optional<LockedChart> new_lock_entry;
};

// What the chart names (oci://…/NAME, NAME with --repo, or a local archive
// whose Chart.yaml says). Throws kInvalidInput / kNotFound naming the chart.
ChartRef plain_chart_ref(const PlainChartRequest& request);

// Fetches the pinned chart through `source` (the pin from sha256 or the
// lock; an unpinned chart is fetched through `uncached` only to learn its
// digest and refused with it, unless update_lock), renders it into
// request.ns and builds its graph, sealing Secrets with `keys`.
PlainChart render_plain_chart(const PlainChartRequest& request, ChartSource& source,
                              ChartSource& uncached, ChartRenderer& renderer, SecretKeyring* keys);

}  // namespace kix::compiler
