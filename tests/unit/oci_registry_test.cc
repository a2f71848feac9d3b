#include "util/oci_registry.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"
#include "tests/unit/temp_dir.h"

#include <fstream>

namespace kix {
namespace {

TEST(OciReference, ParsesArtifactsAndImagesAsRegistriesDo) {
  OciReference a = parse_oci_reference("oci://127.0.0.1:5000/charts/cloudnative-pg:0.29.0");
  EXPECT_EQ(a.registry, "127.0.0.1:5000");
  EXPECT_EQ(a.repository, "charts/cloudnative-pg");
  EXPECT_EQ(a.tag, "0.29.0");
  OciReference hub = parse_oci_reference("redis");
  EXPECT_EQ(hub.registry, "registry-1.docker.io");
  EXPECT_EQ(hub.repository, "library/redis");
  EXPECT_EQ(hub.tag, "latest");
  OciReference ghcr = parse_oci_reference("ghcr.io/immich-app/immich-server:v1.131.1");
  EXPECT_EQ(ghcr.str(), "ghcr.io/immich-app/immich-server:v1.131.1");
  const std::string digest = "sha256:" + std::string(64, 'a');
  OciReference pinned = parse_oci_reference("docker.io/library/redis:7@" + digest);
  EXPECT_EQ(pinned.tag, "7");
  EXPECT_EQ(pinned.digest, digest);
  OciReference port = parse_oci_reference("localhost:5000/team/app");
  EXPECT_EQ(port.registry, "localhost:5000");
  EXPECT_EQ(port.tag, "latest");
  EXPECT_ERROR_KIND(parse_oci_reference(""), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(parse_oci_reference("oci://host-only"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(parse_oci_reference("repo@sha256:xyz"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(parse_oci_reference("ghcr.io/a b/c:1"), ErrorKind::kInvalidInput);
}

TEST(OciCredentials, ReadsTheDockerConfigurationEveryToolReads) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "config.json") << R"({"auths": {
    "ghcr.io": {"auth": "dXNlcjpwYXNzOndvcmQ="},
    "https://index.docker.io/v1/": {"username": "hub", "password": "secret"}}})";
  MapEnvironment env;
  env.set("DOCKER_CONFIG", dir.path().string());
  auto ghcr = docker_credentials(env, "ghcr.io");
  ASSERT_TRUE(ghcr);
  EXPECT_EQ(ghcr->username, "user");
  EXPECT_EQ(ghcr->password, "pass:word");  // only the first ':' separates
  auto hub = docker_credentials(env, "registry-1.docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hub");
  EXPECT_FALSE(docker_credentials(env, "quay.io"));
  std::ofstream(dir.path() / "config.json") << "{not json";
  EXPECT_ERROR_KIND(docker_credentials(env, "ghcr.io"), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kix
