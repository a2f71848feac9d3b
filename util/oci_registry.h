// A client of the OCI distribution API (the protocol of every container
// registry): for Helm charts stored as OCI artifacts, image manifest
// digests, and the store artifacts `kix store push` and `pull` move
// (blobs checked by HEAD, mounted from another repository or uploaded in
// one request or in chunks; manifests put by tag).
//
// Authentication follows the registries' own flow: a request answered 401
// with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` fetches a token
// from the realm (with the user's credentials when there are any) and is
// sent again with it; `WWW-Authenticate: Basic` is answered with the
// credentials. Credentials come from the Docker configuration every OCI tool
// reads: $DOCKER_CONFIG/config.json, else ~/.docker/config.json, `auths`
// entries (`auth` as base64 "user:password", or `username` and
// `password`). Credential helpers (`credsStore`, `credHelpers`) are not run.
//
// Registries on this machine (127.0.0.0/8, ::1, localhost) are spoken to
// over plain HTTP, as Docker does; any other over HTTPS unless the client
// was made with allow_insecure_http (the user's `--insecure`), which then
// speaks plain HTTP to it.
//
// Thread-safety: one thread at a time (tokens are cached per instance).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/environment.h"
#include "util/http_client.h"

namespace kix {

struct OciReference {
  std::string registry;    // "ghcr.io", "127.0.0.1:5000", "registry-1.docker.io"
  std::string repository;  // "immich-app/immich-server", "library/redis"
  std::string tag;         // "" when the reference is by digest only
  std::string digest;      // "sha256:<hex>" or ""

  // "registry/repository:tag@digest", without parts that are empty.
  std::string str() const;
};

// Parses "oci://host[:port]/path[:tag][@digest]" (an OCI artifact) or an
// image reference as Kubernetes writes them ("redis:7", "ghcr.io/a/b:1",
// "docker.io/library/redis@sha256:…"): Docker Hub is the default registry
// (as registry-1.docker.io, with "library/" for single names), "latest" the
// default tag. Throws kInvalidInput for what is not a reference.
OciReference parse_oci_reference(const std::string& text);

struct RegistryCredentials {
  std::string username;
  std::string password;
};

// The credentials for `registry` in the Docker configuration (see above),
// or nullopt. Throws kInvalidInput naming the file when it does not read.
std::optional<RegistryCredentials> docker_credentials(const Environment& env,
                                                      const std::string& registry);

// Accept headers for manifests: OCI image manifest and index, Docker v2
// manifest and manifest list.
inline constexpr const char* kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

class OciClient {
 public:
  OciClient(HttpClient& http, const Environment& env, bool allow_insecure_http = false);

  struct ManifestResponse {
    std::string media_type;
    std::string digest;  // the registry's Docker-Content-Digest, else sha256 of the body
    std::string body;
  };
  // GET /v2/<repo>/manifests/<tag or digest>. A manifest fetched by digest
  // must hash to it (kCorruption otherwise). Throws kNotFound for a 404,
  // kIo for a refused login or another failure, naming the registry and
  // what to do.
  ManifestResponse get_manifest(const OciReference& ref);
  // HEAD of the same: the digest the tag points at now.
  std::string manifest_digest(const OciReference& ref);
  // GET /v2/<repo>/blobs/<digest>, at most `max_bytes`, checked against
  // its digest (kCorruption when it does not match).
  std::string get_blob(const OciReference& ref, const std::string& digest, size_t max_bytes);

  // HEAD /v2/<repo>/blobs/<digest>: whether the repository has the blob.
  bool has_blob(const OciReference& ref, const std::string& digest);

  enum class BlobPut { kMounted, kUploaded };
  // Puts `data` into the repository as blob sha256(data), which must be
  // `digest` (kInternal otherwise). With `mount_from` (another repository
  // of the same registry) a cross-repository mount is asked first; a
  // registry that does not mount it starts an upload instead. Up to
  // chunk_bytes() the data goes in one PUT, above in PATCH requests of that
  // size with Content-Range, then a PUT with the digest. An upload that
  // fails on the way (a 5xx, a dropped connection, an upload session the
  // registry forgot) is started again, 3 tries in all. Throws as
  // get_manifest does, and kCorruption when the registry reports another
  // digest.
  BlobPut put_blob(const OciReference& ref, const std::string& digest, std::string_view data,
                   const std::string& mount_from = "");
  // PUT /v2/<repo>/manifests/<ref.tag> of `body` with `media_type`.
  // Returns its digest (sha256 of body; kCorruption when the registry says
  // another).
  std::string put_manifest(const OciReference& ref, const std::string& media_type,
                           const std::string& body);

  size_t chunk_bytes() const { return chunk_bytes_; }
  void set_chunk_bytes(size_t bytes) { chunk_bytes_ = bytes < 1 ? 1 : bytes; }

 private:
  BlobPut put_blob_once(const OciReference& ref, const std::string& digest, std::string_view data,
                        const std::string& mount_from);
  HttpResponse send(const OciReference& ref, HttpRequest request);
  std::string base_url(const OciReference& ref) const;
  std::string fetch_token(const OciReference& ref, const std::string& challenge);

  HttpClient& http_;
  const Environment& env_;
  bool allow_insecure_http_;
  size_t chunk_bytes_ = size_t{16} << 20;
  std::map<std::string, std::string> tokens_;  // "registry/repository" -> bearer token
};

}  // namespace kix
