// The config hash of pod templates (manifest/config_hash.h, docs/hashing.md §7).
#include "manifest/config_hash.h"

#include <gtest/gtest.h>

#include "util/hash.h"

namespace kix {
namespace {

Manifest manifest(const std::string& text) {
  return make_manifest(Json::parse(text), SourceLocation{"t.yaml", 1});
}

const char* kConfig =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app"},"data":{"a":"1"}})";

std::string annotation_of(const Manifest& m, const std::string& pointer) {
  const Json& v = m.value.at(Json::json_pointer(pointer));
  return v.value(kConfigHashAnnotation, "");
}

TEST(ConfigHash, FollowsTheContentOfWhatTheWorkloadReads) {
  std::vector<Manifest> ms = {
      manifest(kConfig),
      manifest(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"},"spec":{"template":{"spec":{}}}})"),
      manifest(
          R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"tick","namespace":"app"},"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"kix.dev/config-hash":"stale"}}}}}}})"),
      manifest(
          R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once","namespace":"app"},"spec":{"template":{"spec":{}}}})"),
      manifest(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"alone","namespace":"app"},"spec":{"template":{"spec":{}}}})"),
  };
  const Hash before = ms[1].blob;
  annotate_config_hashes(ms, {{}, {0, 0}, {0}, {0}, {}});
  const std::string expected =
      "sha256:" + Hash::of("ConfigMap/app/cfg " + ms[0].blob.hex() + "\n").hex();
  EXPECT_EQ(annotation_of(ms[1], "/spec/template/metadata/annotations"), expected);
  EXPECT_EQ(annotation_of(ms[2], "/spec/jobTemplate/spec/template/metadata/annotations"), expected);
  EXPECT_NE(ms[1].blob, before);
  EXPECT_EQ(ms[1].blob, Hash::of(ms[1].canonical));
  EXPECT_FALSE(ms[3].value["spec"]["template"].contains("metadata"));  // a Job: none
  EXPECT_FALSE(ms[4].value["spec"]["template"].contains("metadata"));  // reads nothing: none

  // Another ConfigMap content, another annotation; the same, the same.
  std::vector<Manifest> again = ms;
  annotate_config_hashes(again, {{}, {0}, {0}, {0}, {}});
  EXPECT_EQ(again[1].blob, ms[1].blob);
  again[0] = manifest(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app"},"data":{"a":"2"}})");
  annotate_config_hashes(again, {{}, {0}, {0}, {0}, {}});
  EXPECT_NE(annotation_of(again[1], "/spec/template/metadata/annotations"), expected);
}

}  // namespace
}  // namespace kix
