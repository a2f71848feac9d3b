// Moving store artifacts (store/oci_artifact.h) to and from a registry:
// `kix store push` and `kix store pull` (docs/oci.md).
//
// Push asks the registry (HEAD) for every blob first and uploads only what
// it lacks, after trying a cross-repository mount from `mount_from` when
// one is given; the manifest goes last, so a tag never names an artifact
// whose blobs are not all there. Pull fetches the manifest (by tag or
// digest), the index and every pack, each checked against its digest, and
// returns the closure with its history, checked whole; no store is touched.
//
// Errors: what OciClient throws (kNotFound for a missing tag or blob, kIo
// for a refused login or a failing registry, naming the registry and what
// to do), and kInvalidInput for an artifact that is not kix's or is
// damaged.
//
// Thread-safety: one call at a time per OciClient.
#pragma once

#include <functional>

#include <cstdint>
#include <string>

#include "store/oci_artifact.h"
#include "util/oci_registry.h"

namespace kix {

struct TransferStats {
  size_t uploaded_blobs = 0;
  uint64_t uploaded_bytes = 0;
  size_t mounted_blobs = 0;
  uint64_t mounted_bytes = 0;
  size_t skipped_blobs = 0;  // the registry had them
  uint64_t skipped_bytes = 0;
};

// Told after each blob a push or pull handled: how many of how many, and
// the bytes so far. Called on the caller's thread; may be empty.
using TransferProgress =
    std::function<void(size_t blobs_done, size_t blobs_total, uint64_t bytes_done)>;

// Pushes `artifact` to `ref` (which must have a tag: kInvalidInput
// otherwise) and returns what went over the wire.
TransferStats push_artifact(OciClient& client, const OciReference& ref, const Artifact& artifact,
                            const std::string& mount_from = "",
                            const TransferProgress& progress = {});

struct PulledArtifact {
  ArtifactManifest manifest;
  Closure closure;
  size_t blobs = 0;    // fetched, the manifest not counted
  uint64_t bytes = 0;  // their size
};

PulledArtifact pull_artifact(OciClient& client, const OciReference& ref,
                             const ArtifactLimits& limits = {},
                             const TransferProgress& progress = {});

}  // namespace kix
