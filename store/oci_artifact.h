// The store as an OCI artifact (docs/oci.md, a public contract): what
// `kix store push` uploads and `kix store pull` reads.
//
// One OCI image manifest:
//   config    application/vnd.cncf.flux.config.v1+json, "{}"
//   layer 0   application/vnd.cncf.flux.content.v1.tar+gzip: the root's
//             manifests as YAML, one file per resource named
//             "<wave, 3 digits>-<result file name>", in wave order, so Flux's
//             OCIRepository deploys it with no layerSelector. Secrets and
//             kix's own kinds (kix.dev) are left out: a Secret travels as
//             ciphertext only, and those kinds are for `kix deploy`.
//   layer 1   application/vnd.kix.store.index.v1+json: the root, the
//             history that travels (store/history.h), and which pack
//             holds what each carried root added
//   layer 2…  application/vnd.kix.store.pack.v1.tar+zstd: one pack per
//             carried root, holding the nodes and blobs (and sealed
//             values) that root is the first to need, and its node list as
//             a delta against the root before it
//   annotations  org.opencontainers.image.created (the generation's time),
//             .source, .revision ("[source revision@]sha256:<root>"), and
//             dev.kix.root, dev.kix.cluster, dev.kix.generation.
// Without the Flux layer (`--no-flux`: history for kix alone, as CI pushes
// every build), the config is application/vnd.kix.store.config.v1+json and
// the index is layer 0: the Flux layer is a whole root in one blob, the one
// part of an artifact that cannot be shared between generations.
//
// The carried roots are ordered by history (each cluster's generations by
// number, clusters by name), then the other roots by hash; so a pack is a
// function of the roots before it, and pushing generation N+1 after N
// makes the same packs 1..N again: only the new pack, the index and the
// Flux layer are new bytes. The manifest is a pure function of the closure
// and its history (times come from generations, never the clock).
//
// Reading checks every media type, size limit and digest, rebuilds the
// closure from the packs and checks it whole (Closure::check) before any
// store is touched.
//
// Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/archive.h"

namespace kix {

inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kFluxConfigType = "application/vnd.cncf.flux.config.v1+json";
inline constexpr const char* kFluxContentType = "application/vnd.cncf.flux.content.v1.tar+gzip";
inline constexpr const char* kKixConfigType = "application/vnd.kix.store.config.v1+json";
inline constexpr const char* kKixIndexType = "application/vnd.kix.store.index.v1+json";
inline constexpr const char* kKixPackType = "application/vnd.kix.store.pack.v1.tar+zstd";

struct ArtifactBlob {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::string data;
  // For a pack: the carried root whose additions it holds.
  std::optional<Hash> root;
};

struct Artifact {
  std::string manifest;  // the manifest's JSON bytes
  std::string digest;    // "sha256:<hex>" of them
  ArtifactBlob config;
  std::vector<ArtifactBlob> layers;  // in the manifest's order
  size_t flux_files = 0;             // resources in the Flux layer
  size_t withheld_secrets = 0;       // Secrets and kix.dev kinds left out of it
};

struct ArtifactRequest {
  Hash root;  // the root Flux deploys; must be a root of the closure
  // The generation it is, when it is one: its number and time give the
  // annotations; its source revision goes into .revision.
  std::optional<Generation> generation;
  std::string source;  // org.opencontainers.image.source
  bool flux = true;    // with the Flux config and content layer
};

// The artifact of `closure` (which must hold `request.root`; the history it
// carries travels). The Flux layer's manifests are read from `store`, which
// must hold the root. Throws kInvalidInput when the root is not in the
// closure.
Artifact build_artifact(Store& store, const Closure& closure, const ArtifactRequest& request);

struct ArtifactLimits {
  size_t max_manifest_bytes = size_t{4} << 20;
  size_t max_index_bytes = size_t{64} << 20;
  size_t max_pack_bytes = size_t{1} << 30;  // compressed, as fetched
  ArchiveLimits pack;                       // each pack as it is decompressed
  // Every pack's entries together, decompressed: what a pull holds in
  // memory before the store is touched.
  size_t max_total_bytes = size_t{2} << 30;
  size_t max_layers = 100000;
};

// A manifest as read back: the layers kix needs, checked.
struct ArtifactManifest {
  std::string digest;
  bool flux = true;    // it has the Flux layer
  ArtifactBlob index;  // digest and media type (data fetched later)
  std::vector<ArtifactBlob> packs;
  std::map<std::string, std::string> annotations;
};

// Parses and checks a manifest (`source` names it in errors): an OCI image
// manifest with the Flux config type whose layers are the Flux layer, one
// kix index and kix packs (or kix's config type, and no Flux layer), with
// valid digests and sizes within `limits`.
// Throws kInvalidInput otherwise (an artifact kix did not push: "not a kix
// store artifact", naming what is there instead).
ArtifactManifest parse_artifact_manifest(const std::string& body, const std::string& digest,
                                         const std::string& source,
                                         const ArtifactLimits& limits = {});

// The closure an artifact holds, its history included. `fetch(digest,
// max_bytes)` returns a blob's bytes, checked against its digest. Throws
// kInvalidInput naming the first problem (with `source`), or what fetch
// throws. A pushed root's Flux layer is not read: the packs hold it all.
Closure read_artifact(const ArtifactManifest& manifest,
                      const std::function<std::string(const std::string&, size_t)>& fetch,
                      const std::string& source, const ArtifactLimits& limits = {});

}  // namespace kix
