// OciClient's write side against the real registry (tests/unit/registry_server.h):
// uploads in one request and in chunks, mounts from another repository,
// HEAD checks, and manifests put by tag and read back.
#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"
#include "tests/unit/registry_server.h"
#include "util/environment.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/oci_registry.h"

namespace kix {
namespace {

std::string digest(const std::string& data) {
  return "sha256:" + Hash::of(data).hex();
}

class OciPush : public ::testing::Test {
 protected:
  testing::RegistryServer registry;
  CurlHttpClient http;
  MapEnvironment env{{{"HOME", "/nonexistent"}, {"DOCKER_CONFIG", "/nonexistent"}}};
  OciClient client{http, env};
  OciReference repo(const std::string& name, const std::string& tag = "t") {
    return parse_oci_reference("oci://" + registry.host() + "/" + name + ":" + tag);
  }
};

TEST_F(OciPush, UploadsInOneRequestAndInChunks) {
  const std::string small = "a small blob";
  std::string large(10000, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 + i / 13);
  OciReference ref = repo("kix/blobs");
  EXPECT_FALSE(client.has_blob(ref, digest(small)));
  EXPECT_EQ(client.put_blob(ref, digest(small), small), OciClient::BlobPut::kUploaded);
  client.set_chunk_bytes(3000);  // four PATCH requests and a final PUT
  EXPECT_EQ(client.put_blob(ref, digest(large), large), OciClient::BlobPut::kUploaded);
  EXPECT_TRUE(client.has_blob(ref, digest(small)));
  EXPECT_EQ(client.get_blob(ref, digest(large), 1 << 20), large);
  EXPECT_EQ(client.get_blob(ref, digest(small), 1 << 20), small);
  EXPECT_ERROR_KIND(client.put_blob(ref, digest("other"), small), ErrorKind::kInternal);
}

TEST_F(OciPush, MountsFromAnotherRepositoryAndPutsManifests) {
  const std::string config = "{}";
  const std::string layer = "layer bytes";
  OciReference a = repo("kix/a", "v1");
  client.put_blob(a, digest(config), config);
  client.put_blob(a, digest(layer), layer);
  OciReference b = repo("kix/b", "v1");
  EXPECT_FALSE(client.has_blob(b, digest(layer)));
  EXPECT_EQ(client.put_blob(b, digest(layer), layer, "kix/a"), OciClient::BlobPut::kMounted);
  EXPECT_TRUE(client.has_blob(b, digest(layer)));
  // Mounting from a repository that lacks it starts an ordinary upload.
  EXPECT_EQ(client.put_blob(b, digest(config), config, "kix/nowhere"),
            OciClient::BlobPut::kUploaded);

  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.kix.test.config.v1+json","digest":")" +
      digest(config) +
      R"(","size":2},"layers":[{"mediaType":"application/octet-stream",)"
      R"("digest":")" +
      digest(layer) + R"(","size":11}]})";
  const std::string put =
      client.put_manifest(b, "application/vnd.oci.image.manifest.v1+json", manifest);
  EXPECT_EQ(put, digest(manifest));
  OciClient::ManifestResponse got = client.get_manifest(b);
  EXPECT_EQ(got.body, manifest);
  EXPECT_EQ(got.digest, put);
  EXPECT_EQ(client.manifest_digest(b), put);
  EXPECT_ERROR_KIND(client.get_manifest(repo("kix/b", "missing")), ErrorKind::kNotFound);
  // A manifest naming a blob the repository lacks is refused, by name.
  const std::string dangling = manifest.substr(0, manifest.find(digest(layer))) + digest("absent") +
                               manifest.substr(manifest.find(digest(layer)) + 71);
  EXPECT_ERROR_KIND(client.put_manifest(repo("kix/b", "v2"),
                                        "application/vnd.oci.image.manifest.v1+json", dangling),
                    ErrorKind::kIo);
}

}  // namespace
}  // namespace kix
