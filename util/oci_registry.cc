#include "util/oci_registry.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/hash.h"

namespace kix {
namespace {

using Json = nlohmann::json;

bool looks_like_registry(const std::string& first) {
  return first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
         first == "localhost";
}

Error bad_reference(const std::string& text, const std::string& why) {
  return Error(ErrorKind::kInvalidInput, "'" + text + "' is not an OCI reference: " + why, {},
               "write oci://registry/repository:tag, or an image like ghcr.io/org/name:tag");
}

std::string base64_decode(const std::string& text) {
  std::string out((text.size() / 4 + 1) * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return {};
  out.resize(static_cast<size_t>(n));
  // EVP_DecodeBlock keeps the zero bytes the padding stands for.
  size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(out.size() - std::min(padding, out.size()));
  return out;
}

std::string base64_encode(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The parameters of a `WWW-Authenticate: Bearer k="v",k2="v2"` challenge.
std::map<std::string, std::string> challenge_params(const std::string& header) {
  std::map<std::string, std::string> out;
  size_t i = header.find(' ');
  while (i != std::string::npos && i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = header.substr(i, eq - i);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {
      size_t end = header.find('"', i + 1);
      if (end == std::string::npos) break;
      value = header.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      size_t end = header.find(',', i);
      value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end;
    }
    out[key] = value;
  }
  return out;
}

std::string starts_lower(const std::string& s) {
  std::string out = s.substr(0, std::min<size_t>(s.size(), 6));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

Hash digest_hash(const std::string& digest, const std::string& what) {
  if (digest.rfind("sha256:", 0) != 0) {
    throw Error(ErrorKind::kInvalidInput, what + ": digest '" + digest + "' is not sha256:<hex>");
  }
  auto hash = Hash::from_hex(digest.substr(7));
  if (!hash) throw Error(ErrorKind::kInvalidInput, what + ": digest '" + digest + "' is malformed");
  return *hash;
}

}  // namespace

std::string OciReference::str() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

OciReference parse_oci_reference(const std::string& text) {
  std::string rest = text;
  const bool artifact = rest.rfind("oci://", 0) == 0;
  if (artifact) rest = rest.substr(6);
  if (rest.empty()) throw bad_reference(text, "it is empty");
  OciReference ref;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    digest_hash(ref.digest, "'" + text + "'");
  }
  size_t slash = rest.find('/');
  std::string first = rest.substr(0, slash);
  if (artifact || (slash != std::string::npos && looks_like_registry(first))) {
    if (slash == std::string::npos) throw bad_reference(text, "it names no repository");
    ref.registry = first;
    rest = rest.substr(slash + 1);
  } else {
    ref.registry = "docker.io";
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  ref.repository = rest;
  if (ref.registry == "docker.io" || ref.registry == "index.docker.io") {
    ref.registry = "registry-1.docker.io";
    if (ref.repository.find('/') == std::string::npos) ref.repository = "library/" + ref.repository;
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  auto valid = [](const std::string& s, const char* extra) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
      return std::isalnum(c) ||
             std::string_view(extra).find(static_cast<char>(c)) != std::string_view::npos;
    });
  };
  if (!valid(ref.repository, "._-/") || ref.repository.front() == '/' ||
      ref.repository.back() == '/') {
    throw bad_reference(
        text, "the repository '" + ref.repository + "' has characters a registry refuses");
  }
  if (!ref.tag.empty() && (!valid(ref.tag, "._-") || ref.tag.size() > 128)) {
    throw bad_reference(text, "the tag '" + ref.tag + "' is not a tag");
  }
  for (char& c : ref.repository) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ref;
}

std::optional<RegistryCredentials> docker_credentials(const Environment& env,
                                                      const std::string& registry) {
  std::string dir;
  if (auto d = env.get_nonempty("DOCKER_CONFIG")) {
    dir = *d;
  } else if (auto home = env.get_nonempty("HOME")) {
    dir = *home + "/.docker";
  } else {
    return std::nullopt;
  }
  const std::string file = dir + "/config.json";
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  Json config;
  try {
    config = Json::parse(text.str());
  } catch (const Json::exception&) {
    throw Error(ErrorKind::kInvalidInput, file + " is not valid JSON", {},
                "fix it, or point DOCKER_CONFIG at a directory with a valid config.json");
  }
  if (!config.is_object() || !config.contains("auths") || !config["auths"].is_object()) {
    return std::nullopt;
  }
  // Docker writes Docker Hub as its v1 URL; any spelling of the host counts.
  std::vector<std::string> keys = {registry, "https://" + registry, "http://" + registry};
  if (registry == "registry-1.docker.io") {
    keys.insert(keys.end(), {"https://index.docker.io/v1/", "docker.io", "index.docker.io"});
  }
  for (const std::string& key : keys) {
    auto it = config["auths"].find(key);
    if (it == config["auths"].end() || !it->is_object()) continue;
    if (it->contains("auth") && (*it)["auth"].is_string()) {
      std::string decoded = base64_decode((*it)["auth"].get<std::string>());
      auto colon = decoded.find(':');
      if (colon == std::string::npos) {
        throw Error(ErrorKind::kInvalidInput,
                    file + ": the auth of " + key + " is not base64 of user:password");
      }
      return RegistryCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
    }
    if (it->contains("username") && it->contains("password") && (*it)["username"].is_string() &&
        (*it)["password"].is_string()) {
      return RegistryCredentials{(*it)["username"].get<std::string>(),
                                 (*it)["password"].get<std::string>()};
    }
  }
  return std::nullopt;
}

OciClient::OciClient(HttpClient& http, const Environment& env, bool allow_insecure_http)
    : http_(http), env_(env), allow_insecure_http_(allow_insecure_http) {}

std::string OciClient::base_url(const OciReference& ref) const {
  // Registries elsewhere are spoken to over HTTPS (credentials and tokens go
  // to them) unless the user said --insecure.
  const bool plain = allow_insecure_http_ || is_loopback_url("http://" + ref.registry + "/");
  return (plain ? "http://" : "https://") + ref.registry + "/v2/" + ref.repository + "/";
}

std::string OciClient::fetch_token(const OciReference& ref, const std::string& challenge) {
  std::map<std::string, std::string> params = challenge_params(challenge);
  if (params["realm"].empty()) {
    throw Error(ErrorKind::kIo,
                "registry " + ref.registry + " asks for a token without saying where to get it");
  }
  std::string url = params["realm"];
  std::string sep = url.find('?') == std::string::npos ? "?" : "&";
  if (!params["service"].empty()) {
    url += sep + "service=" + url_encode(params["service"]);
    sep = "&";
  }
  std::string scope =
      params["scope"].empty() ? "repository:" + ref.repository + ":pull" : params["scope"];
  url += sep + "scope=" + url_encode(scope);
  HttpRequest request;
  request.url = url;
  request.max_response_bytes = size_t{1} << 20;
  if (auto creds = docker_credentials(env_, ref.registry)) {
    request.headers.emplace_back("Authorization",
                                 "Basic " + base64_encode(creds->username + ":" + creds->password));
  }
  HttpResponse response = http_.send(request);
  if (response.status == 401 || response.status == 403) {
    throw Error(
        ErrorKind::kIo,
        "registry " + ref.registry + " refused a token for " + ref.repository + " (HTTP " +
            std::to_string(response.status) + ")",
        {}, "log in with `docker login " + ref.registry + "` (kix reads ~/.docker/config.json)");
  }
  if (response.status != 200) {
    throw Error(ErrorKind::kIo, "the token service of " + ref.registry + " answered HTTP " +
                                    std::to_string(response.status));
  }
  try {
    Json body = Json::parse(response.body);
    for (const char* key : {"token", "access_token"}) {
      if (body.contains(key) && body[key].is_string()) return body[key].get<std::string>();
    }
  } catch (const Json::exception&) {
  }
  throw Error(ErrorKind::kIo, "the token service of " + ref.registry + " gave no token");
}

HttpResponse OciClient::send(const OciReference& ref, HttpRequest request) {
  const std::string key = ref.registry + "/" + ref.repository;
  auto with_auth = [&](HttpRequest r) {
    if (auto it = tokens_.find(key); it != tokens_.end()) {
      r.headers.emplace_back("Authorization", it->second);
    }
    return r;
  };
  HttpResponse response = http_.send(with_auth(request));
  if (response.status != 401) return response;
  const std::string* challenge = response.header("www-authenticate");
  if (challenge == nullptr) return response;
  const std::string scheme = starts_lower(*challenge);
  if (scheme.rfind("bearer", 0) == 0) {
    tokens_[key] = "Bearer " + fetch_token(ref, *challenge);
  } else if (scheme.rfind("basic", 0) == 0) {
    auto creds = docker_credentials(env_, ref.registry);
    if (!creds) return response;
    tokens_[key] = "Basic " + base64_encode(creds->username + ":" + creds->password);
  } else {
    return response;
  }
  return http_.send(with_auth(request));
}

namespace {

[[noreturn]] void registry_failure(const OciReference& ref, const HttpResponse& response,
                                   const std::string& what) {
  if (response.status == 404) {
    throw Error(ErrorKind::kNotFound, ref.str() + ": " + what + " not found in the registry", {},
                "check the repository, tag or digest");
  }
  if (response.status == 401 || response.status == 403) {
    throw Error(ErrorKind::kIo,
                "registry " + ref.registry + " refused access to " + ref.repository + " (HTTP " +
                    std::to_string(response.status) + ")",
                {},
                "log in with `docker login " + ref.registry +
                    "` (kix reads the credentials from ~/.docker/config.json or $DOCKER_CONFIG)");
  }
  // The registry's own words, when it gave them (OCI distribution errors).
  std::string said;
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("errors") && body["errors"].is_array()) {
    for (const Json& e : body["errors"]) {
      if (!e.is_object()) continue;
      auto text = [&](const char* key) {
        return e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : "";
      };
      std::string code = text("code");
      std::string message = text("message");
      said += (said.empty() ? ": " : "; ") + code + (message.empty() ? "" : " (" + message + ")");
    }
  }
  throw Error(ErrorKind::kIo,
              ref.str() + ": the registry answered HTTP " + std::to_string(response.status) +
                  " for the " + what + said.substr(0, 500),
              {}, "try again later, or check the registry");
}

}  // namespace

OciClient::ManifestResponse OciClient::get_manifest(const OciReference& ref) {
  HttpRequest request;
  request.url = base_url(ref) + "manifests/" + (ref.digest.empty() ? ref.tag : ref.digest);
  request.headers.emplace_back("Accept", kManifestAccept);
  request.max_response_bytes = size_t{4} << 20;
  HttpResponse response = send(ref, request);
  if (response.status != 200) registry_failure(ref, response, "manifest");
  ManifestResponse out;
  out.body = std::move(response.body);
  out.media_type = response.header("content-type") ? *response.header("content-type") : "";
  const std::string actual = "sha256:" + Hash::of(out.body).hex();
  const std::string* header = response.header("docker-content-digest");
  if ((!ref.digest.empty() && ref.digest != actual) || (header != nullptr && *header != actual)) {
    throw Error(ErrorKind::kCorruption,
                ref.str() + ": the registry sent a manifest whose digest is " + actual +
                    (header != nullptr ? " but said " + *header : ""),
                {}, "the registry is damaged or something changed the manifest on the way");
  }
  out.digest = actual;  // what kix read, never what it was told
  return out;
}

std::string OciClient::manifest_digest(const OciReference& ref) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = base_url(ref) + "manifests/" + (ref.digest.empty() ? ref.tag : ref.digest);
  request.headers.emplace_back("Accept", kManifestAccept);
  HttpResponse response = send(ref, request);
  if (response.status == 200) {
    if (const std::string* header = response.header("docker-content-digest")) {
      digest_hash(*header, ref.str());  // a malformed digest is never recorded
      return *header;
    }
  } else if (response.status != 405) {
    registry_failure(ref, response, "manifest");
  }
  // Some registries answer HEAD without the digest: fetch and hash it.
  return get_manifest(ref).digest;
}

std::string OciClient::get_blob(const OciReference& ref, const std::string& digest,
                                size_t max_bytes) {
  Hash expected = digest_hash(digest, ref.str());
  HttpRequest request;
  request.url = base_url(ref) + "blobs/" + digest;
  request.max_response_bytes = max_bytes;
  HttpResponse response = send(ref, request);
  if (response.status != 200) registry_failure(ref, response, "blob " + digest);
  if (Hash::of(response.body) != expected) {
    throw Error(ErrorKind::kCorruption,
                ref.str() + ": blob " + digest + " does not hash to its digest", {},
                "the registry is damaged or something changed the blob on the way");
  }
  return std::move(response.body);
}

bool OciClient::has_blob(const OciReference& ref, const std::string& digest) {
  digest_hash(digest, ref.str());
  HttpRequest request;
  request.method = "HEAD";
  request.url = base_url(ref) + "blobs/" + digest;
  HttpResponse response = send(ref, request);
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  registry_failure(ref, response, "blob " + digest);
}

namespace {

// An upload's Location, which registries may give relative to the host.
std::string upload_location(const OciReference& ref, const HttpResponse& response,
                            const std::string& base) {
  const std::string* location = response.header("location");
  if (location == nullptr || location->empty()) {
    throw Error(ErrorKind::kIo,
                "registry " + ref.registry + " started an upload without saying where it goes");
  }
  return resolve_url(base, *location);
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

// A failure worth starting the upload again for.
struct UploadInterrupted {
  std::string what;
};

void check_upload_step(const OciReference& ref, const HttpResponse& response, long expected,
                       const std::string& what) {
  if (response.status == expected) return;
  // The registry forgot the session (404 BLOB_UPLOAD_UNKNOWN) or failed.
  if (response.status == 404 || response.status >= 500) {
    throw UploadInterrupted{what + ": HTTP " + std::to_string(response.status)};
  }
  registry_failure(ref, response, what);
}

}  // namespace

OciClient::BlobPut OciClient::put_blob(const OciReference& ref, const std::string& digest,
                                       std::string_view data, const std::string& mount_from) {
  if ("sha256:" + Hash::of(data).hex() != digest) {
    throw Error(ErrorKind::kInternal, "put_blob: the data is not blob " + digest);
  }
  std::string last;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    try {
      return put_blob_once(ref, digest, data, mount_from);
    } catch (const UploadInterrupted& e) {
      last = e.what;
    } catch (const Error& e) {
      // No answer at all (a dropped connection after the client's own retries).
      if (e.kind() != ErrorKind::kIo || attempt == 3) throw;
      last = e.message();
    }
  }
  throw Error(ErrorKind::kIo,
              ref.str() + ": uploading blob " + digest + " failed 3 times (" + last + ")", {},
              "try again later, or check the registry");
}

OciClient::BlobPut OciClient::put_blob_once(const OciReference& ref, const std::string& digest,
                                            std::string_view data, const std::string& mount_from) {
  const std::string base = base_url(ref);
  HttpRequest start;
  start.method = "POST";
  start.url = base + "blobs/uploads/";
  if (!mount_from.empty()) {
    start.url += "?mount=" + url_encode(digest) + "&from=" + url_encode(mount_from);
  }
  HttpResponse response = send(ref, start);
  if (response.status == 201 && !mount_from.empty()) return BlobPut::kMounted;
  check_upload_step(ref, response, 202, "the start of an upload of blob " + digest);
  std::string location = upload_location(ref, response, base);

  size_t offset = 0;
  if (data.size() > chunk_bytes_) {
    while (offset < data.size()) {
      const size_t n = std::min(chunk_bytes_, data.size() - offset);
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.body = std::string(data.substr(offset, n));
      patch.headers.emplace_back("Content-Type", "application/octet-stream");
      patch.headers.emplace_back("Content-Range",
                                 std::to_string(offset) + "-" + std::to_string(offset + n - 1));
      response = send(ref, patch);
      check_upload_step(ref, response, 202, "a chunk of blob " + digest);
      location = upload_location(ref, response, base);
      offset += n;
    }
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = with_query(location, "digest=" + url_encode(digest));
  put.body = std::string(data.substr(offset));
  put.headers.emplace_back("Content-Type", "application/octet-stream");
  response = send(ref, put);
  check_upload_step(ref, response, 201, "the end of the upload of blob " + digest);
  if (const std::string* said = response.header("docker-content-digest");
      said != nullptr && *said != digest) {
    throw Error(ErrorKind::kCorruption,
                ref.str() + ": the registry stored blob " + digest + " as " + *said, {},
                "the registry is damaged or something changed the data on the way");
  }
  return BlobPut::kUploaded;
}

std::string OciClient::put_manifest(const OciReference& ref, const std::string& media_type,
                                    const std::string& body) {
  HttpRequest request;
  request.method = "PUT";
  request.url = base_url(ref) + "manifests/" + ref.tag;
  request.body = body;
  request.headers.emplace_back("Content-Type", media_type);
  HttpResponse response = send(ref, request);
  if (response.status != 201) registry_failure(ref, response, "manifest");
  const std::string actual = "sha256:" + Hash::of(body).hex();
  if (const std::string* said = response.header("docker-content-digest");
      said != nullptr && *said != actual) {
    throw Error(ErrorKind::kCorruption,
                ref.str() + ": the registry stored the manifest as " + *said + ", not " + actual,
                {}, "the registry is damaged or something changed the manifest on the way");
  }
  return actual;
}

}  // namespace kix
