#include "compiler/chart_source.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "util/diagnostics.h"
#include "util/error.h"

namespace kix::compiler {
namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::string with_slash(std::string url) {
  if (url.empty() || url.back() != '/') url += '/';
  return url;
}

// Chart archives are small (Helm allows 100 MiB expanded); an index of a
// big public repository is tens of MiB.
constexpr size_t kMaxArchiveBytes = size_t{64} << 20;
constexpr size_t kMaxIndexBytes = size_t{256} << 20;

std::string fetch_ok(HttpClient& http, const std::string& url, size_t limit,
                     const std::string& what) {
  HttpRequest request;
  request.url = url;
  request.max_response_bytes = limit;
  HttpResponse response = http.send(request);
  if (response.status == 404) {
    throw Error(ErrorKind::kNotFound, what + ": " + url + " answered 404 Not Found", {},
                "check the repository URL");
  }
  if (response.status == 401 || response.status == 403) {
    throw Error(
        ErrorKind::kIo,
        what + ": " + url + " answered " + std::to_string(response.status) + " (not allowed)", {},
        "this repository needs credentials kix does not have");
  }
  if (response.status < 200 || response.status >= 300) {
    throw Error(ErrorKind::kIo,
                what + ": " + url + " answered HTTP " + std::to_string(response.status), {},
                "try again later, or check the repository");
  }
  return std::move(response.body);
}

}  // namespace

std::string ChartRef::describe() const {
  return name + " " + version + " from " + repository;
}

bool ChartRef::is_local() const {
  return !starts_with(repository, "https://") && !starts_with(repository, "http://") &&
         !starts_with(repository, "oci://");
}

std::vector<std::pair<std::string, std::string>> parse_chart_mirrors(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == word.size()) {
      throw Error(
          ErrorKind::kInvalidInput, "KIX_CHART_MIRRORS: '" + word + "' is not FROM=TO", {},
          "e.g. KIX_CHART_MIRRORS='https://charts.example.org=https://mirror.local/charts'");
    }
    out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return out;
}

RepositoryChartSource::RepositoryChartSource(SourceCache* cache, HttpClient& http, OciClient* oci,
                                             ChartSourceOptions options)
    : cache_(cache), http_(http), oci_(oci), options_(std::move(options)) {}

std::string RepositoryChartSource::download_oci(const ChartRef& ref, std::string& url) {
  if (oci_ == nullptr) {
    throw Error(ErrorKind::kInvalidInput,
                "chart " + ref.describe() + ": this command does not read OCI registries");
  }
  std::string tag = ref.version;
  std::replace(tag.begin(), tag.end(), '+', '_');  // as helm push writes it
  std::string base = mirrored(ref.repository);
  while (!base.empty() && base.back() == '/') base.pop_back();
  OciReference oci = parse_oci_reference(base + "/" + ref.name + ":" + tag);
  OciClient::ManifestResponse manifest = oci_->get_manifest(oci);
  Json body;
  try {
    body = Json::parse(manifest.body);
  } catch (const Json::exception&) {
    throw Error(ErrorKind::kInvalidInput, oci.str() + ": the manifest is not JSON");
  }
  std::string layer_digest;
  if (body.contains("layers") && body["layers"].is_array()) {
    for (const Json& layer : body["layers"]) {
      if (layer.is_object() && layer.contains("mediaType") && layer["mediaType"].is_string() &&
          layer["mediaType"] == "application/vnd.cncf.helm.chart.content.v1.tar+gzip" &&
          layer.contains("digest") && layer["digest"].is_string()) {
        layer_digest = layer["digest"].get<std::string>();
      }
    }
  }
  if (layer_digest.empty()) {
    throw Error(ErrorKind::kInvalidInput,
                oci.str() +
                    " is not a Helm chart (no layer of type "
                    "application/vnd.cncf.helm.chart.content.v1.tar+gzip)",
                {}, "push charts with `helm push`");
  }
  url = ref.repository + "/" + ref.name + ":" + tag + "@" + manifest.digest;
  return oci_->get_blob(oci, layer_digest, kMaxArchiveBytes);
}

std::string RepositoryChartSource::mirrored(const std::string& url) const {
  for (const auto& [from, to] : options_.mirrors) {
    if (starts_with(url, from.c_str())) return to + url.substr(from.size());
  }
  return url;
}

std::string RepositoryChartSource::download(const ChartRef& ref, std::string& url,
                                            std::optional<Hash>& index_digest) {
  if (ref.is_local()) {
    std::filesystem::path path = ref.repository;
    if (path.is_relative()) path = ref.package_dir / path;
    std::error_code ec;
    const bool regular = std::filesystem::is_regular_file(path, ec);
    const auto size = regular ? std::filesystem::file_size(path, ec) : 0;
    if (!regular || ec || size > kMaxArchiveBytes) {
      throw Error(ErrorKind::kNotFound,
                  "chart " + ref.describe() + ": " + path.string() +
                      " is not a readable chart archive (a regular file of at most " +
                      std::to_string(kMaxArchiveBytes >> 20) + " MiB)",
                  {}, "the path is relative to the package directory");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof()) {
      throw Error(ErrorKind::kIo, "chart " + ref.describe() + ": cannot read " + path.string());
    }
    return bytes.str();
  }
  if (starts_with(ref.repository, "oci://")) return download_oci(ref, url);
  if (url_has_credentials(ref.repository)) {
    throw Error(ErrorKind::kInvalidInput,
                "chart " + ref.name + " " + ref.version +
                    ": the repository URL carries a user name or password",
                {},
                "kix writes repository URLs into kix.lock and messages: keep credentials out of "
                "them");
  }
  const std::string repository = mirrored(with_slash(ref.repository));
  const std::string index_url = resolve_url(repository, "index.yaml");
  std::string index_text = fetch_ok(http_, index_url, kMaxIndexBytes, "chart repository index");
  Diagnostics ignored;
  ParseOptions parse;
  parse.limits.max_input_bytes = kMaxIndexBytes;
  parse.limits.max_document_bytes = kMaxIndexBytes;
  parse.limits.max_nodes = size_t{64} << 20;
  std::vector<Document> docs;
  try {
    docs = parse_yaml(index_text, index_url, ignored, parse);
  } catch (const Error& e) {
    throw Error(ErrorKind::kInvalidInput,
                "the index of " + ref.repository + " does not read: " + e.message(), {},
                "check the repository URL: it must serve a Helm index.yaml");
  }
  const Json* entries = nullptr;
  if (docs.size() == 1 && docs[0].value.is_object() && docs[0].value.contains("entries") &&
      docs[0].value["entries"].is_object()) {
    entries = &docs[0].value["entries"];
  }
  if (entries == nullptr) {
    throw Error(ErrorKind::kInvalidInput, index_url + " is not a Helm repository index", {},
                "check the repository URL");
  }
  auto versions = entries->find(ref.name);
  if (versions == entries->end() || !versions->is_array()) {
    throw Error(ErrorKind::kNotFound,
                "chart repository " + ref.repository + " has no chart named '" + ref.name + "'", {},
                "check the chart name in package.yaml");
  }
  const Json* entry = nullptr;
  std::vector<std::string> available;
  for (const Json& v : *versions) {
    if (!v.is_object() || !v.contains("version") || !v["version"].is_string()) continue;
    if (v["version"] == ref.version) entry = &v;
    if (available.size() < 8) available.push_back(v["version"].get<std::string>());
  }
  if (entry == nullptr) {
    std::string list;
    for (const auto& v : available) list += (list.empty() ? "" : ", ") + v;
    throw Error(ErrorKind::kNotFound,
                "chart repository " + ref.repository + " has no version " + ref.version + " of '" +
                    ref.name + "'",
                {}, "it has " + (list.empty() ? std::string("none") : list));
  }
  auto urls = entry->find("urls");
  if (urls == entry->end() || !urls->is_array() || urls->empty() || !(*urls)[0].is_string()) {
    throw Error(ErrorKind::kInvalidInput, "the index of " + ref.repository + " lists no URL for " +
                                              ref.name + " " + ref.version);
  }
  if (auto digest = entry->find("digest"); digest != entry->end()) {
    std::string text = digest->is_string() ? digest->get<std::string>() : digest->dump();
    if (text.rfind("sha256:", 0) == 0) text = text.substr(7);
    index_digest = Hash::from_hex(text);
    if (!index_digest) {
      throw Error(ErrorKind::kInvalidInput,
                  "the index of " + ref.repository + " gives " + ref.name + " " + ref.version +
                      " the digest '" + text + "', which is not a SHA-256",
                  {}, "the repository's index.yaml is damaged");
    }
  }
  // The lock records the URL as the repository names it; a mirror only
  // changes where the bytes are read from.
  url = resolve_url(with_slash(ref.repository), (*urls)[0].get<std::string>());
  return fetch_ok(http_, mirrored(url), kMaxArchiveBytes, "chart " + ref.name + " " + ref.version);
}

FetchedChart RepositoryChartSource::fetch(const ChartRef& ref, const std::optional<Hash>& locked,
                                          bool use_cache) {
  FetchedChart out;
  auto check_identity = [&] {
    if (out.archive.name != ref.name || out.archive.version != ref.version) {
      throw Error(ErrorKind::kInvalidInput,
                  "chart " + ref.describe() + " is an archive of " + out.archive.name + " " +
                      out.archive.version,
                  {}, "the repository serves, or the pin names, another chart");
    }
  };
  if (locked && cache_ != nullptr && use_cache) {
    if (std::optional<std::string> bytes = cache_->find_source(*locked)) {
      out.archive = read_chart_archive(*bytes, ref.describe());
      out.sha256 = *locked;
      out.cached = true;
      check_identity();
      return out;
    }
  }
  std::optional<Hash> index_digest;
  std::string bytes = download(ref, out.url, index_digest);
  out.sha256 = Hash::of(bytes);
  if (index_digest && *index_digest != out.sha256) {
    throw Error(ErrorKind::kConflict,
                "chart " + ref.describe() + ": the repository's index says sha256 " +
                    index_digest->hex() + " but " + out.url + " has sha256 " + out.sha256.hex(),
                {}, "the repository is inconsistent or something changed the archive on the way");
  }
  if (locked && *locked != out.sha256) {
    throw Error(ErrorKind::kConflict,
                "chart " + ref.describe() + " is not what kix.lock holds: locked sha256 " +
                    locked->hex() + ", found sha256 " + out.sha256.hex(),
                {},
                "the archive was republished or replaced; if you trust the new one, run "
                "`kix lock` to record it, then build again");
  }
  out.archive = read_chart_archive(bytes, ref.describe());
  check_identity();
  if (cache_ != nullptr) cache_->keep_source(bytes, "helm-chart", ref.describe());
  return out;
}

}  // namespace kix::compiler
