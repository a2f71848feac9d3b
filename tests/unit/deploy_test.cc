#include "cluster/deploy.h"

#include <gtest/gtest.h>

#include "manifest/waves.h"

#include <algorithm>
#include <map>

namespace kix {
namespace {

Manifest manifest(const std::string& text) {
  return make_manifest(Json::parse(text), SourceLocation{"t.yaml", 1});
}

Graph small_graph() {
  return build_graph(
      {
          manifest(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}})"),
          manifest(
              R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app"}})"),
          manifest(
              R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"}})"),
          manifest(
              R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"app"}})"),
      },
      {{}, {}, {1}, {1}});
}

// Records every command and fails the one that contains `fail_on`.
class FakeRunner : public ProcessRunner {
 public:
  explicit FakeRunner(std::string fail_on = {}) : fail_on_(std::move(fail_on)) {}
  ProcessResult run(const std::vector<std::string>& argv, const std::string& input) override {
    calls.push_back(shell_quote(argv));
    inputs.push_back(input);
    ProcessResult r;
    if (!fail_on_.empty() && calls.back().find(fail_on_) != std::string::npos) {
      r.exit_code = 1;
      r.err = "timed out";
    }
    return r;
  }
  std::vector<std::string> calls;
  std::vector<std::string> inputs;

 private:
  std::string fail_on_;
};

TEST(Deploy, AppliesEachWaveThenWaitsForItsWorkloads) {
  Graph graph = small_graph();
  DeployOptions options;
  options.kubectl = "kubectl";
  options.context = "prod";
  options.timeout_seconds = 60;
  auto steps = plan_deploy(graph, plan_waves(graph), options);
  std::vector<std::string> commands;
  for (const auto& s : steps) commands.push_back(shell_quote(s.argv));
  EXPECT_EQ(commands,
            (std::vector<std::string>{
                "kubectl --context prod apply --server-side --field-manager=kix -f -",
                "kubectl --context prod apply --server-side --field-manager=kix -f -",
                "kubectl --context prod apply --server-side --field-manager=kix -f -",
                "kubectl --context prod rollout status deployment.apps/web -n app --timeout=60s",
                "kubectl --context prod wait --for=condition=complete job.batch/migrate -n app "
                "--timeout=60s",
            }));
  Json first = Json::parse(steps[0].input);
  EXPECT_EQ(first["kind"], "List");
  ASSERT_EQ(first["items"].size(), 1u);
  EXPECT_EQ(first["items"][0]["kind"], "Namespace");
  EXPECT_EQ(steps[2].wave, 2u);
  EXPECT_TRUE(steps[3].input.empty());
}

TEST(Deploy, WaitsForAnSGClusterToBeCreatedThenRolledOut) {
  Graph graph = build_graph(
      {manifest(
          R"({"apiVersion":"stackgres.io/v1","kind":"SGCluster","metadata":{"name":"db","namespace":"app"}})")},
      {{}});
  std::vector<std::string> commands;
  for (const auto& s : plan_deploy(graph, plan_waves(graph), DeployOptions{})) {
    commands.push_back(shell_quote(s.argv));
  }
  EXPECT_EQ(commands, (std::vector<std::string>{
                          "kubectl apply --server-side --field-manager=kix -f -",
                          "kubectl wait --for=create statefulset.apps/db -n app --timeout=300s",
                          "kubectl rollout status statefulset.apps/db -n app --timeout=300s",
                      }));
}

TEST(Deploy, StopsAtTheFirstFailure) {
  Graph graph = small_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  FakeRunner runner("rollout");
  size_t seen = 0;
  DeployOutcome outcome =
      run_deploy(steps, runner, [&](const DeployStep&, const StepReport&) { ++seen; });
  EXPECT_FALSE(outcome.ok());
  ASSERT_TRUE(outcome.failed_step.has_value());
  EXPECT_EQ(*outcome.failed_step, 3u);
  EXPECT_EQ(outcome.completed, 3u);
  EXPECT_EQ(outcome.failure.err, "timed out");
  EXPECT_EQ(runner.calls.size(), 4u);  // the Job wait after the failure never ran
  EXPECT_EQ(seen, 4u);
}

TEST(Deploy, SucceedsWhenEveryStepSucceeds) {
  Graph graph = small_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  FakeRunner runner;
  DeployOutcome outcome = run_deploy(steps, runner);
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.completed, steps.size());
}

// A graph with a Namespace, a required and a generated Secret, and a
// Deployment reading both.
Graph secrets_graph() {
  return build_graph_inferred({
      manifest(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}})"),
      manifest(R"({"apiVersion":"kix.dev/v1","kind":"RequiredSecret",
        "metadata":{"name":"api","namespace":"app"},"keys":["api-key"],
        "description":"an API key from the web UI"})"),
      manifest(R"({"apiVersion":"kix.dev/v1","kind":"GeneratedSecret",
        "metadata":{"name":"db","namespace":"app"},"type":"kubernetes.io/basic-auth",
        "data":{"username":{"value":"app"},"password":{"length":24}}})"),
      manifest(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"},
        "spec":{"template":{"spec":{"containers":[{"name":"web","image":"x","env":[
          {"name":"KEY","valueFrom":{"secretKeyRef":{"name":"api","key":"api-key"}}},
          {"name":"PW","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}]}]}}}})"),
  });
}

// Answers `get secret NAME` from `existing` (name -> keys) and records
// every command with its stdin.
class ClusterRunner : public ProcessRunner {
 public:
  std::map<std::string, std::vector<std::string>> existing;
  std::string create_error;  // when set, `create` fails with it on stderr
  std::vector<std::string> calls;
  std::vector<std::string> inputs;

  ProcessResult run(const std::vector<std::string>& argv, const std::string& input) override {
    calls.push_back(shell_quote(argv));
    inputs.push_back(input);
    ProcessResult r;
    if (argv.size() > 3 && argv[1] == "get" && argv[2] == "secret") {
      auto it = existing.find(argv[3]);
      if (it == existing.end()) return r;
      r.out = "kix-secret-exists\n";
      for (const auto& key : it->second) r.out += key + "\n";
    } else if (argv.size() > 1 && argv[1] == "create" && !create_error.empty()) {
      Json secret = Json::parse(input);
      r.exit_code = 1;
      r.err = create_error + " " + secret["stringData"]["password"].get<std::string>();
    }
    return r;
  }
};

TEST(Deploy, ChecksSecretsFirstAndGeneratesBeforeTheirWave) {
  Graph graph = secrets_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  ASSERT_GE(steps.size(), 5u);
  EXPECT_EQ(steps[0].kind, StepKind::kCheckSecret);
  EXPECT_EQ(steps[1].kind, StepKind::kCheckSecret);
  std::vector<StepKind> kinds;
  for (const auto& step : steps) kinds.push_back(step.kind);
  auto generate = std::find(kinds.begin(), kinds.end(), StepKind::kGenerateSecret);
  ASSERT_NE(generate, kinds.end());
  const DeployStep& g = steps[generate - kinds.begin()];
  EXPECT_EQ(shell_quote(g.argv), "kubectl create -f -");
  EXPECT_TRUE(g.input.empty()) << "a generated Secret must not exist before its step runs";
  EXPECT_NE(g.description.find("password: 24 alphanumeric characters (142 bits)"),
            std::string::npos)
      << g.description;
  // The Deployment's wave comes after the generation; no apply carries a
  // kix.dev kind.
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind != StepKind::kApply) continue;
    EXPECT_EQ(steps[i].input.find("kix.dev"), std::string::npos);
    if (steps[i].input.find("Deployment") != std::string::npos) {
      EXPECT_GT(i, static_cast<size_t>(generate - kinds.begin()));
    }
  }
}

TEST(Deploy, AMissingRequiredSecretStopsBeforeAnythingIsApplied) {
  Graph graph = secrets_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  ClusterRunner runner;
  DeployOutcome outcome = run_deploy(steps, runner);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(runner.calls.size(), 2u) << "only the two checks ran";
  EXPECT_NE(outcome.missing_secrets.find("Secret api in namespace app does not exist"),
            std::string::npos)
      << outcome.missing_secrets;
  EXPECT_NE(outcome.missing_secrets.find(
                "kubectl create secret generic api -n app --from-literal=api-key=..."),
            std::string::npos);
  EXPECT_NE(outcome.missing_secrets.find("an API key from the web UI"), std::string::npos);

  runner.calls.clear();
  runner.existing["api"] = {"token"};
  outcome = run_deploy(steps, runner);
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.missing_secrets.find("lacks the key api-key (it has token)"),
            std::string::npos);
}

TEST(Deploy, GeneratesAMissingSecretOnceAndLeavesAnExistingOneAlone) {
  Graph graph = secrets_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  ClusterRunner runner;
  runner.existing["api"] = {"api-key"};
  std::vector<std::string> notes;
  DeployOutcome outcome = run_deploy(
      steps, runner, [&](const DeployStep&, const StepReport& r) { notes.push_back(r.note); });
  ASSERT_TRUE(outcome.ok());
  size_t creates = 0;
  for (size_t i = 0; i < runner.calls.size(); ++i) {
    if (runner.calls[i] != "kubectl create -f -") continue;
    ++creates;
    Json secret = Json::parse(runner.inputs[i]);
    EXPECT_EQ(secret["kind"], "Secret");
    EXPECT_EQ(secret["type"], "kubernetes.io/basic-auth");
    EXPECT_EQ(secret["stringData"]["username"], "app");
    EXPECT_EQ(secret["stringData"]["password"].get<std::string>().size(), 24u);
  }
  EXPECT_EQ(creates, 1u);
  EXPECT_NE(std::find(notes.begin(), notes.end(), "generated"), notes.end());

  // The next deploy finds it and creates nothing; one lacking a key is
  // left alone with a warning.
  runner.calls.clear();
  runner.existing["db"] = {"username"};
  outcome = run_deploy(steps, runner);
  ASSERT_TRUE(outcome.ok());
  for (const auto& call : runner.calls) EXPECT_NE(call, "kubectl create -f -");
  ASSERT_EQ(outcome.warnings.size(), 1u);
  EXPECT_NE(outcome.warnings[0].find("without the key password"), std::string::npos);
}

TEST(Deploy, KubectlsWordsAboutAGeneratedSecretNeverShowItsValues) {
  Graph graph = secrets_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  ClusterRunner runner;
  runner.existing["api"] = {"api-key"};
  runner.create_error = "admission webhook denied the request:";
  DeployOutcome outcome = run_deploy(steps, runner);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(steps[*outcome.failed_step].kind, StepKind::kGenerateSecret);
  EXPECT_EQ(outcome.failure.err, "admission webhook denied the request: <redacted>");

  // Created by someone else between the check and the create: left alone.
  runner.create_error = "Error from server (AlreadyExists): secrets \"db\" already exists";
  outcome = run_deploy(steps, runner);
  EXPECT_TRUE(outcome.ok());
}

TEST(Deploy, ShellQuoteQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote({"kubectl", "-n", "a b", "it's", ""}), "kubectl -n 'a b' 'it'\\''s' ''");
}

}  // namespace
}  // namespace kix
