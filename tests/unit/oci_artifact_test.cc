// The store's OCI artifact (store/oci_artifact.h) without a registry: what
// build_artifact lays out, read back by read_artifact from its own blobs.
#include "store/oci_artifact.h"

#include <gtest/gtest.h>

#include <map>

#include "store/memory_store.h"
#include "store/verify.h"
#include "tests/unit/error_kind.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::in_cluster;

class OciArtifact : public ::testing::Test {
 protected:
  void SetUp() override {
    store.add(graph_of({config_map("cfg", "1"), deployment("web", "nginx", "cfg")}),
              in_cluster("prod", 100));
    store.add(graph_of({config_map("cfg", "2"), deployment("web", "nginx", "cfg")}),
              in_cluster("prod", 200));
  }

  Artifact artifact(bool flux = true, std::optional<int64_t> up_to = std::nullopt) {
    ExportRequest request;
    request.histories = {{"prod", up_to, std::nullopt}};
    Closure closure = export_closure(store, request);
    Generation g = *store.generation("prod", up_to.value_or(2));
    return build_artifact(store, closure, {g.root, g, "kix:prod", flux});
  }

  static Closure read_back(const Artifact& a, std::map<std::string, std::string>* blobs = nullptr) {
    std::map<std::string, std::string> all;
    all[a.config.digest] = a.config.data;
    for (const ArtifactBlob& l : a.layers) all[l.digest] = l.data;
    if (blobs != nullptr) {
      for (auto& [d, data] : *blobs) all[d] = data;
    }
    ArtifactManifest m = parse_artifact_manifest(a.manifest, a.digest, "test");
    return read_artifact(
        m, [&](const std::string& d, size_t) { return all.at(d); }, "test");
  }

  MemoryStore store;
};

TEST_F(OciArtifact, LaysOutFluxThenTheIndexThenOnePackPerGeneration) {
  Artifact a = artifact();
  ASSERT_EQ(a.layers.size(), 4u);
  EXPECT_EQ(a.config.media_type, kFluxConfigType);
  EXPECT_EQ(a.layers[0].media_type, kFluxContentType);
  EXPECT_EQ(a.layers[1].media_type, kKixIndexType);
  EXPECT_EQ(a.layers[2].media_type, kKixPackType);
  EXPECT_EQ(a.layers[3].media_type, kKixPackType);
  EXPECT_EQ(a.flux_files, 2u);
  Json manifest = Json::parse(a.manifest);
  EXPECT_EQ(manifest["annotations"]["org.opencontainers.image.created"], "1970-01-01T00:03:20Z");
  EXPECT_EQ(manifest["annotations"]["dev.kix.generation"], "2");
  // The same input, the same bytes; the first generation's pack is shared.
  EXPECT_EQ(artifact().digest, a.digest);
  EXPECT_EQ(artifact(true, 1).layers[2].digest, a.layers[2].digest);
  EXPECT_NE(artifact(true, 1).layers[1].digest, a.layers[1].digest);
}

TEST_F(OciArtifact, ReadsBackTheClosureAndItsHistory) {
  for (bool flux : {true, false}) {
    Artifact a = artifact(flux);
    Closure c = read_back(a);
    EXPECT_EQ(c.roots().size(), 2u);
    ASSERT_EQ(c.history().clusters.size(), 1u);
    EXPECT_EQ(c.history().clusters[0].generations, store.generations("prod"));
    MemoryStore other;
    other.import_closure(c);
    EXPECT_TRUE(other.verify({}).ok());
    EXPECT_EQ(other.current_generation("prod")->root, store.current_generation("prod")->root);
  }
  EXPECT_EQ(artifact(false).config.media_type, kKixConfigType);
  EXPECT_EQ(artifact(false).layers.size(), 3u);
}

TEST_F(OciArtifact, RefusesWhatIsNotItsOwnOrDoesNotHoldTogether) {
  Artifact a = artifact();
  Json m = Json::parse(a.manifest);
  m["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
  try {
    parse_artifact_manifest(m.dump(), "sha256:x", "reg/repo:tag");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("reg/repo:tag is not a kix store artifact: its config is "
                               "application/vnd.oci.image.config.v1+json"),
              std::string::npos)
        << e.message();
  }
  // A pack swapped for another: the index and the manifest disagree.
  Json swapped = Json::parse(a.manifest);
  std::swap(swapped["layers"][2], swapped["layers"][3]);
  std::map<std::string, std::string> all;
  for (const ArtifactBlob& l : a.layers) all[l.digest] = l.data;
  ArtifactManifest parsed = parse_artifact_manifest(swapped.dump(), "sha256:y", "test");
  EXPECT_ERROR_KIND(read_artifact(
                        parsed, [&](const std::string& d, size_t) { return all.at(d); }, "test"),
                    ErrorKind::kInvalidInput);
  // Limits are checked before anything is fetched.
  ArtifactLimits tiny;
  tiny.max_pack_bytes = 10;
  EXPECT_ERROR_KIND(parse_artifact_manifest(a.manifest, a.digest, "test", tiny),
                    ErrorKind::kInvalidInput);
  tiny = {};
  tiny.max_total_bytes = 100;
  EXPECT_ERROR_KIND(read_artifact(
                        parse_artifact_manifest(a.manifest, a.digest, "test"),
                        [&](const std::string& d, size_t) { return all.at(d); }, "test", tiny),
                    ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kix
