#include "cluster/kubectl.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace kix {
namespace {

// A kubectl that answers from a script and remembers what it was asked.
class ScriptedRunner : public ProcessRunner {
 public:
  std::vector<std::vector<std::string>> calls;
  ProcessResult answer{0, R"({"apiVersion":"v1","kind":"List","items":[]})", ""};
  ProcessResult run(const std::vector<std::string>& argv, const std::string&) override {
    calls.push_back(argv);
    return answer;
  }
};

Graph desired() {
  std::vector<Manifest> m;
  m.push_back(make_manifest(
      Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}})"), {}));
  m.push_back(make_manifest(
      Json::parse(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"}})"),
      {}));
  m.push_back(make_manifest(
      Json::parse(
          R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"app"}})"),
      {}));
  return build_graph_inferred(std::move(m));
}

TEST(Kubectl, AsksForTheKindsOfEachNamespaceAndClusterScopedOnesByName) {
  ScriptedRunner runner;
  fetch_live_objects(runner, "kubectl", "prod", desired());
  ASSERT_EQ(runner.calls.size(), 2u);
  EXPECT_EQ(runner.calls[0],
            (std::vector<std::string>{"kubectl", "--context", "prod", "get",
                                      "Deployment.apps,Service", "-n", "app", "-o", "json"}));
  EXPECT_EQ(runner.calls[1],
            (std::vector<std::string>{"kubectl", "--context", "prod", "get", "Namespace", "app",
                                      "--ignore-not-found", "-o", "json"}));
}

TEST(Kubectl, AFailureNamesTheCommandThatRan) {
  ScriptedRunner runner;
  runner.answer = {1, "", "error: You must be logged in to the server (Unauthorized)\n"};
  try {
    fetch_live_objects(runner, "kubectl", "", desired());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.message().find("Unauthorized"), std::string::npos);
    EXPECT_NE(e.hint().find("kubectl get Deployment.apps,Service -n app -o json"),
              std::string::npos)
        << e.hint();
  }
}

TEST(Kubectl, IsFoundThroughTheEnvironment) {
  MapEnvironment env;
  env.set("KIX_KUBECTL", "/opt/kubectl");
  EXPECT_EQ(find_kubectl(env), "/opt/kubectl");
  MapEnvironment none;
  none.set("PATH", "/nonexistent");
  try {
    find_kubectl(none);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

}  // namespace
}  // namespace kix
