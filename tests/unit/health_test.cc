// evaluate_health (cluster/health.h): the rules that do not need a whole
// recorded object (tests/e2e/test_health.py covers every kind).
#include "cluster/health.h"

#include <gtest/gtest.h>

namespace kix {
namespace {

HealthStatus status_of(const char* text) {
  return evaluate_health(Json::parse(text)).status;
}

TEST(Health, GenericRulesComeFirst) {
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z"},"status":{"availableReplicas":1,"updatedReplicas":1,"replicas":1}})"),
      HealthStatus::kProgressing);
  EXPECT_EQ(status_of(R"({"kind":"Deployment"})"), HealthStatus::kUnknown);
  EXPECT_EQ(status_of(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})"),
            HealthStatus::kHealthy);
  // Odd status shapes read as absent, never as a crash.
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"example.org/v1","kind":"W","metadata":{"name":"a"},"status":{"conditions":[1,{"type":3},{"type":"Ready","status":"True"}]}})"),
      HealthStatus::kHealthy);
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"replicas":"two"},"status":"weird"})"),
      HealthStatus::kProgressing);
}

TEST(Health, ScalingDisabledIsAChoice) {
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"a"},"status":{"conditions":[{"type":"ScalingActive","status":"False","reason":"ScalingDisabled"}]}})"),
      HealthStatus::kSuspended);
}

TEST(Health, ADefinitionIsHealthyOnceEstablished) {
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"w.example.org"}})"),
      HealthStatus::kProgressing);
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"w.example.org"},"status":{"conditions":[{"type":"Established","status":"True"}]}})"),
      HealthStatus::kHealthy);
  EXPECT_EQ(
      status_of(
          R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"w.example.org"},"status":{"conditions":[{"type":"NamesAccepted","status":"False","reason":"KindConflict"}]}})"),
      HealthStatus::kDegraded);
}

}  // namespace
}  // namespace kix
