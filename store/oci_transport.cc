#include "store/oci_transport.h"

#include "util/error.h"

namespace kix {

TransferStats push_artifact(OciClient& client, const OciReference& ref, const Artifact& artifact,
                            const std::string& mount_from, const TransferProgress& progress) {
  if (ref.tag.empty() || !ref.digest.empty()) {
    throw Error(ErrorKind::kInvalidInput,
                "push to " + ref.str() + ": an artifact is pushed to a tag, not a digest", {},
                "name a tag: oci://" + ref.registry + "/" + ref.repository + ":latest");
  }
  TransferStats stats;
  const size_t total = artifact.layers.size() + 1;
  size_t done = 0;
  uint64_t bytes = 0;
  auto put = [&](const ArtifactBlob& blob) {
    if (client.has_blob(ref, blob.digest)) {
      ++stats.skipped_blobs;
      stats.skipped_bytes += blob.data.size();
    } else if (client.put_blob(ref, blob.digest, blob.data, mount_from) ==
               OciClient::BlobPut::kMounted) {
      ++stats.mounted_blobs;
      stats.mounted_bytes += blob.data.size();
    } else {
      ++stats.uploaded_blobs;
      stats.uploaded_bytes += blob.data.size();
    }
    bytes += blob.data.size();
    if (progress) progress(++done, total, bytes);
  };
  put(artifact.config);
  for (const ArtifactBlob& layer : artifact.layers) put(layer);
  // Last: the tag names the artifact only once everything it lists is there.
  client.put_manifest(ref, kOciManifestType, artifact.manifest);
  return stats;
}

PulledArtifact pull_artifact(OciClient& client, const OciReference& ref,
                             const ArtifactLimits& limits, const TransferProgress& progress) {
  OciClient::ManifestResponse response = client.get_manifest(ref);
  const std::string source = ref.str();
  ArtifactManifest manifest =
      parse_artifact_manifest(response.body, response.digest, source, limits);
  size_t blobs = 0;
  uint64_t bytes = 0;
  auto fetch = [&](const std::string& digest, size_t max_bytes) {
    std::string data = client.get_blob(ref, digest, max_bytes);
    ++blobs;
    bytes += data.size();
    if (progress) progress(blobs, manifest.packs.size() + 1, bytes);
    return data;
  };
  Closure closure = read_artifact(manifest, fetch, source, limits);
  return PulledArtifact{std::move(manifest), std::move(closure), blobs, bytes};
}

}  // namespace kix
