#include "cli/chart_tools.h"

#include "cli/store_cli.h"

namespace kix::cli {
namespace {

compiler::ChartSourceOptions source_options(const Context& ctx) {
  compiler::ChartSourceOptions options;
  if (auto mirrors = ctx.env().get_nonempty("KIX_CHART_MIRRORS")) {
    options.mirrors = compiler::parse_chart_mirrors(*mirrors);
  }
  return options;
}

std::string helm_program(const Context& ctx) {
  if (auto helm = ctx.env().get_nonempty("KIX_HELM")) return *helm;
  if (auto found = find_in_path("helm", ctx.env().get("PATH").value_or(""))) return *found;
  return "helm";  // running it names what is missing
}

HttpClientOptions http_options(bool insecure) {
  HttpClientOptions options;
  options.allow_insecure_http = insecure;
  return options;
}

}  // namespace

Store& ChartTools::StoreCache::store() {
  if (!store_) store_ = open_store(ctx_);
  return *store_;
}

std::optional<std::string> ChartTools::StoreCache::find_source(const Hash& sha256) {
  return store().find_source(sha256);
}

Hash ChartTools::StoreCache::keep_source(std::string_view bytes, const std::string& kind,
                                         const std::string& name) {
  return store().keep_source(bytes, kind, name);
}

ChartTools::ChartTools(const Context& ctx, bool insecure)
    : cache_(ctx),
      http_(http_options(insecure)),
      oci_(http_, ctx.env(), insecure),
      source_(&cache_, http_, &oci_, source_options(ctx)),
      uncached_(nullptr, http_, &oci_, source_options(ctx)),
      renderer_(helm_program(ctx), runner_),
      images_(oci_) {}

std::string ChartTools::RegistryImages::resolve(const std::string& image) {
  return oci_.manifest_digest(parse_oci_reference(image));
}

}  // namespace kix::cli
