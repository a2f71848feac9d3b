// What rendering charts needs from outside the libraries: the store as the
// cache of chart archives (opened only when a chart is needed), HTTP with
// the system's CAs, mirrors from KIX_CHART_MIRRORS, and helm (KIX_HELM, else
// helm on PATH).
#pragma once

#include <memory>

#include "cli/context.h"
#include "compiler/chart_source.h"
#include "compiler/helm_renderer.h"
#include "compiler/image_pins.h"
#include "store/store.h"
#include "util/http_client.h"
#include "util/oci_registry.h"
#include "util/process.h"

namespace kix::cli {

class ChartTools {
 public:
  explicit ChartTools(const Context& ctx, bool insecure = false);
  compiler::ChartSource& source() { return source_; }
  compiler::ChartRenderer& renderer() { return renderer_; }
  compiler::ImageResolver& images() { return images_; }
  // The same source without the store: to learn the digest of a chart
  // that is not pinned yet, without keeping it.
  compiler::ChartSource& uncached() { return uncached_; }

 private:
  // The store, opened on first use.
  class StoreCache : public SourceCache {
   public:
    explicit StoreCache(const Context& ctx) : ctx_(ctx) {}
    std::optional<std::string> find_source(const Hash& sha256) override;
    Hash keep_source(std::string_view bytes, const std::string& kind,
                     const std::string& name) override;

   private:
    Store& store();
    const Context& ctx_;
    std::unique_ptr<Store> store_;
  };

  // Image tags resolved with a HEAD of their manifest.
  class RegistryImages : public compiler::ImageResolver {
   public:
    explicit RegistryImages(OciClient& oci) : oci_(oci) {}
    std::string resolve(const std::string& image) override;

   private:
    OciClient& oci_;
  };

  StoreCache cache_;
  CurlHttpClient http_;
  OciClient oci_;
  SystemProcessRunner runner_;
  compiler::RepositoryChartSource source_;
  compiler::RepositoryChartSource uncached_;
  compiler::HelmRenderer renderer_;
  RegistryImages images_;
};

}  // namespace kix::cli
