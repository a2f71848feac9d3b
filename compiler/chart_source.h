// Where chart archives come from (docs/lockfile.md): the store's cache of
// sources first, then the chart's repository. A fetched archive is checked
// against the digest kix.lock holds, read as hostile input
// (manifest/chart_archive.h), and only then cached, so a wrong or hostile
// archive never enters the store.
//
// Sources:
//  - an HTTP(S) chart repository: its index.yaml, the entry of the name and
//    version, its first URL resolved against the repository URL as Helm
//    does (so relative URLs work), and the archive; an index digest that
//    disagrees with the archive is an error too;
//  - a local .tgz path (relative paths are relative to the package);
//  - an OCI registry (oci://host/path): the manifest of <path>/<name> tagged
//    with the version (Helm's "+" written "_"), and its chart layer
//    (application/vnd.cncf.helm.chart.content.v1.tar+gzip), whose digest is
//    the archive's SHA-256.
//
// Thread-safety: one thread at a time (the cache and the HTTP client are
// not shared-safe).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manifest/chart_archive.h"
#include "manifest/source_cache.h"
#include "util/hash.h"
#include "util/http_client.h"
#include "util/oci_registry.h"

namespace kix::compiler {

struct ChartRef {
  std::string repository;  // as the package wrote it
  std::string name;
  std::string version;
  std::filesystem::path package_dir;  // what a relative local path is relative to

  // "cloudnative-pg 0.29.0 from https://…", for messages.
  std::string describe() const;
  bool is_local() const;
};

struct FetchedChart {
  ChartArchive archive;
  Hash sha256;          // of the archive's bytes
  std::string url;      // where it came from ("" for a local path or the cache)
  bool cached = false;  // found in the cache, nothing fetched
};

class ChartSource {
 public:
  virtual ~ChartSource() = default;
  // The archive of `ref`. With `locked`, the cache is asked first and a
  // fetched archive must have that digest (kConflict naming the chart and
  // both digests, with `kix lock` as the fix); without it (kix lock), the
  // archive is always fetched. Throws kNotFound for a chart or version the
  // repository does not have, kIo when the repository cannot be reached,
  // kInvalidInput for a refused archive.
  // `use_cache` false (kix lock --check) always fetches, so a republished
  // archive is found even when the locked one is cached.
  virtual FetchedChart fetch(const ChartRef& ref, const std::optional<Hash>& locked,
                             bool use_cache = true) = 0;
};

struct ChartSourceOptions {
  // Repository URL prefixes fetched from elsewhere (an air-gapped mirror):
  // a repository starting with `first` is read from `second` instead. The
  // lock keeps the repository as written; digests are checked all the same.
  std::vector<std::pair<std::string, std::string>> mirrors;
};

// Parses KIX_CHART_MIRRORS: space-separated FROM=TO pairs. Throws
// kInvalidInput for a pair without '='.
std::vector<std::pair<std::string, std::string>> parse_chart_mirrors(const std::string& text);

class RepositoryChartSource : public ChartSource {
 public:
  // `cache` may be null (nothing is cached or looked up); `oci` may be null
  // (oci:// repositories are then an error).
  RepositoryChartSource(SourceCache* cache, HttpClient& http, OciClient* oci = nullptr,
                        ChartSourceOptions options = {});
  FetchedChart fetch(const ChartRef& ref, const std::optional<Hash>& locked,
                     bool use_cache = true) override;

 private:
  std::string download(const ChartRef& ref, std::string& url, std::optional<Hash>& index_digest);
  std::string mirrored(const std::string& url) const;
  std::string download_oci(const ChartRef& ref, std::string& url);

  SourceCache* cache_;
  HttpClient& http_;
  OciClient* oci_;
  ChartSourceOptions options_;
};

}  // namespace kix::compiler
