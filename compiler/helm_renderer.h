// Rendering a chart with `helm template` (docs/packages.md, "Charts").
//
// The chart's checked files (manifest/chart_archive.h) are written to a
// fresh private temporary directory with the values kix computed (as JSON,
// which YAML reads), then
//   helm template RELEASE DIR/<chart> --namespace NS --values DIR/values.json
//        [--include-crds]
// runs through a ProcessRunner; its output is split at `---` into documents,
// each with the template it came from (Helm's `# Source:` comment). The
// directory is removed afterwards, whatever happened.
//
// Thread-safety: as the ProcessRunner.
#pragma once

#include <string>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/chart_archive.h"
#include "util/process.h"

namespace kix::compiler {

struct ChartRenderRequest {
  const ChartArchive* chart = nullptr;
  std::string release;
  std::string ns;
  Json values = Json::object();
  bool include_crds = true;
  // Capabilities.KubeVersion for the chart: the Kubernetes version of the
  // schemas kix validates against (schema/README.md).
  std::string kube_version = "1.36.0";
};

struct RenderedDocument {
  Json value;
  std::string source;  // "cloudnative-pg/templates/deployment.yaml" ("" when helm gave none)
};

class ChartRenderer {
 public:
  virtual ~ChartRenderer() = default;
  // The chart's documents (empty ones dropped), in helm's order. Throws
  // kInvalidInput when helm fails (its message included) or its output does
  // not read, kNotFound when helm cannot be started.
  virtual std::vector<RenderedDocument> render(const ChartRenderRequest& request) = 0;
};

class HelmRenderer : public ChartRenderer {
 public:
  HelmRenderer(std::string helm, ProcessRunner& runner) : helm_(std::move(helm)), runner_(runner) {}
  std::vector<RenderedDocument> render(const ChartRenderRequest& request) override;

 private:
  std::string helm_;
  ProcessRunner& runner_;
};

}  // namespace kix::compiler
