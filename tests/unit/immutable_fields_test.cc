// Fields an update cannot change (manifest/immutable_fields.h).
#include "manifest/immutable_fields.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

std::vector<std::string> immutable(const std::string& left, const std::string& right) {
  Json l = Json::parse(left), r = Json::parse(right);
  return immutable_changes(l, r, diff_manifests(l, r));
}

TEST(ImmutableFields, FindsTheFieldsOfEachKindAndNothingElse) {
  EXPECT_EQ(
      immutable(
          R"({"apiVersion":"apps/v1","kind":"StatefulSet","spec":{"replicas":2,"serviceName":"a","volumeClaimTemplates":[{"metadata":{"name":"d"},"spec":{"resources":{"requests":{"storage":"2Gi"}}}}]}})",
          R"({"apiVersion":"apps/v1","kind":"StatefulSet","spec":{"replicas":1,"serviceName":"b","volumeClaimTemplates":[{"metadata":{"name":"d"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}]}})"),
      (std::vector<std::string>{"$.spec.serviceName",
                                "$.spec.volumeClaimTemplates[0].spec.resources.requests.storage"}));
  EXPECT_EQ(
      immutable(
          R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"selector":{"matchLabels":{"a":"1"}},"replicas":1}})",
          R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"selector":{"matchLabels":{"a":"2"}},"replicas":2}})"),
      (std::vector<std::string>{"$.spec.selector.matchLabels.a"}));
  EXPECT_EQ(
      immutable(
          R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","roleRef":{"name":"a"}})",
          R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","roleRef":{"name":"b"}})")
          .size(),
      1u);
  // A name that only starts like an immutable field is not one.
  EXPECT_TRUE(immutable(R"({"apiVersion":"v1","kind":"Service","spec":{"clusterIPx":"a"}})",
                        R"({"apiVersion":"v1","kind":"Service","spec":{"clusterIPx":"b"}})")
                  .empty());
  EXPECT_TRUE(immutable(R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1"}})",
                        R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"2"}})")
                  .empty());
}

TEST(ImmutableFields, AConfigMapMarkedImmutableOnEitherSide) {
  EXPECT_EQ(
      immutable(R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1"}})",
                R"({"apiVersion":"v1","kind":"ConfigMap","immutable":true,"data":{"a":"2"}})"),
      (std::vector<std::string>{"$.data.a", "$.immutable"}));
}

}  // namespace
}  // namespace kix
