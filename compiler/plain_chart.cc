#include "compiler/plain_chart.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/chart_resources.h"
#include "manifest/config_hash.h"
#include "manifest/secret_seal.h"

namespace kix::compiler {

ChartRef plain_chart_ref(const PlainChartRequest& request) {
  ChartRef ref;
  ref.version = request.version;
  if (request.chart.rfind("oci://", 0) == 0) {
    auto slash = request.chart.rfind('/');
    ref.repository = request.chart.substr(0, slash);
    ref.name = request.chart.substr(slash + 1);
    if (!request.repo.empty()) {
      throw Error(ErrorKind::kInvalidInput, "--repo is for HTTP(S) repositories, not oci://", {},
                  "give the chart as oci://registry/path/NAME alone");
    }
  } else if (!request.repo.empty()) {
    ref.repository = request.repo;
    ref.name = request.chart;
  } else {
    // A local archive: its Chart.yaml says what it is.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(request.chart, ec)) {
      throw Error(ErrorKind::kNotFound, "chart " + request.chart + " cannot be read", {},
                  "give a .tgz path, oci://registry/path/NAME, or NAME with --repo URL");
    }
    std::ifstream in(request.chart, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    ChartArchive archive = read_chart_archive(bytes.str(), request.chart);
    ref.repository = std::filesystem::absolute(request.chart).lexically_normal().string();
    ref.name = archive.name;
    if (ref.version.empty()) ref.version = archive.version;
  }
  if (ref.version.empty()) {
    throw Error(ErrorKind::kInvalidInput, "--version is required for chart " + request.chart, {},
                "charts are pinned by name, version and digest");
  }
  return ref;
}

PlainChart render_plain_chart(const PlainChartRequest& request, ChartSource& source,
                              ChartSource& uncached, ChartRenderer& renderer, SecretKeyring* keys) {
  PlainChart out;
  out.ref = plain_chart_ref(request);
  const ChartRef& ref = out.ref;
  std::optional<Hash> pin = request.sha256;
  if (!pin && request.lock != nullptr) {
    if (const LockedChart* entry =
            request.lock->find_chart(ref.repository, ref.name, ref.version)) {
      pin = entry->sha256;
    }
  }
  if (!pin) {
    FetchedChart probe = uncached.fetch(ref, std::nullopt, false);
    if (!request.update_lock) {
      throw Error(ErrorKind::kNotFound,
                  "chart " + ref.describe() + " is not pinned; the archive served now has sha256 " +
                      probe.sha256.hex(),
                  {},
                  "pass --sha256 " + probe.sha256.hex() +
                      " to accept it, or --update-lock to record it in the lock file");
    }
    out.new_lock_entry =
        LockedChart{ref.repository, ref.name, ref.version, probe.url, probe.sha256};
    pin = probe.sha256;
  }
  FetchedChart fetched = source.fetch(ref, pin);
  ChartRenderRequest render;
  render.chart = &fetched.archive;
  render.release = request.release.empty() ? ref.name : request.release;
  render.ns = request.ns;
  render.values = request.values;
  ChartResources rendered =
      chart_resources(renderer.render(render), request.ns, ref.name + " " + ref.version, {});
  std::vector<std::vector<size_t>> refs(rendered.manifests.size());
  std::vector<std::vector<std::string>> reasons(rendered.manifests.size());
  for (size_t k = 0; k < rendered.refs.size(); ++k) {
    for (const auto& [to, reason] : rendered.refs[k]) {
      refs[k].push_back(to);
      reasons[k].push_back(reason);
    }
  }
  check_unique_identities(rendered.manifests);
  seal_manifests(rendered.manifests, keys);
  annotate_config_hashes(rendered.manifests, refs);  // docs/hashing.md §7
  out.graph = build_graph(std::move(rendered.manifests), std::move(refs), std::move(reasons));
  out.source = fetched.sha256;
  return out;
}

}  // namespace kix::compiler
