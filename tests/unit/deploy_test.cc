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

// Answers every `get ... -o json` with the objects it names, each made
// healthy, as the API server would once the wave has settled.
Json healthy(const std::string& type_name, const std::string& ns) {
  const std::string type = type_name.substr(0, type_name.find('/'));
  const std::string name = type_name.substr(type_name.find('/') + 1);
  Json o = {{"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  if (type == "deployment.apps") {
    o["apiVersion"] = "apps/v1";
    o["kind"] = "Deployment";
    o["status"] = {{"replicas", 1}, {"updatedReplicas", 1}, {"availableReplicas", 1}};
  } else if (type == "statefulset.apps") {
    o["apiVersion"] = "apps/v1";
    o["kind"] = "StatefulSet";
    o["status"] = {{"replicas", 1}, {"updatedReplicas", 1}, {"readyReplicas", 1}};
  } else if (type == "job.batch") {
    o["apiVersion"] = "batch/v1";
    o["kind"] = "Job";
    o["status"] = {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}};
  } else if (type == "sgcluster.stackgres.io") {
    o["apiVersion"] = "stackgres.io/v1";
    o["kind"] = "SGCluster";
  } else if (type == "namespace") {
    o["apiVersion"] = "v1";
    o["kind"] = "Namespace";
  } else if (type == "configmap") {
    o["apiVersion"] = "v1";
    o["kind"] = "ConfigMap";
  } else {
    return nullptr;
  }
  return o;
}

std::string answer_get(const std::vector<std::string>& argv) {
  std::string ns;
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-n") ns = argv[i + 1];
  }
  Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
  for (const std::string& arg : argv) {
    if (arg.find('/') == std::string::npos) continue;
    Json o = healthy(arg, ns);
    if (!o.is_null()) list["items"].push_back(o);
  }
  return list.dump();
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
      r.err = "the server is currently unable to handle the request";
    } else if (argv.size() > 1 && argv[1] == "get") {
      r.out = answer_get(argv);
    }
    return r;
  }
  std::vector<std::string> calls;
  std::vector<std::string> inputs;

 private:
  std::string fail_on_;
};

TEST(Deploy, AppliesEachWaveThenWaitsForIt) {
  Graph graph = small_graph();
  DeployOptions options;
  options.kubectl = "kubectl";
  options.context = "prod";
  options.timeout_seconds = 60;
  auto steps = plan_deploy(graph, plan_waves(graph), options);
  std::vector<std::string> kinds;
  for (const auto& s : steps) {
    kinds.push_back(s.kind == StepKind::kApply  ? "apply"
                    : s.kind == StepKind::kWait ? "wait"
                                                : "?");
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"apply", "wait", "apply", "wait", "apply", "wait"}));
  for (const auto& s : steps) {
    if (s.kind == StepKind::kApply) {
      EXPECT_EQ(shell_quote(s.argv),
                "kubectl --context prod apply --server-side --field-manager=kix -f -");
    }
  }
  Json first = Json::parse(steps[0].input);
  EXPECT_EQ(first["kind"], "List");
  ASSERT_EQ(first["items"].size(), 1u);
  EXPECT_EQ(first["items"][0]["kind"], "Namespace");
  EXPECT_EQ(steps[4].wave, 2u);
  // The last wave's two workloads: one wait, one kubectl get per namespace.
  const DeployStep& wait = steps[5];
  EXPECT_EQ(wait.wave, 2u);
  EXPECT_TRUE(wait.argv.empty());
  EXPECT_TRUE(wait.input.empty());
  EXPECT_EQ(wait.description, "wait for wave 2 (2 objects)");
  ASSERT_TRUE(wait.poll.has_value());
  EXPECT_EQ(wait.poll->timeout_seconds, 60);
  auto commands = poll_commands(*wait.poll);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(shell_quote(commands[0].argv),
            "kubectl --context prod get deployment.apps/web job.batch/migrate -n app "
            "--ignore-not-found -o json");
}

TEST(Deploy, WaitsForAnSGClusterAndItsStatefulSet) {
  Graph graph = build_graph(
      {manifest(
          R"({"apiVersion":"stackgres.io/v1","kind":"SGCluster","metadata":{"name":"db","namespace":"app"}})")},
      {{}});
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  ASSERT_EQ(steps.size(), 2u);
  ASSERT_TRUE(steps[1].poll.has_value());
  const auto& targets = steps[1].poll->targets;
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].rule, WaitRule::kNotDegraded);
  EXPECT_EQ(targets[1].id.display(), "StatefulSet/db @ app");
  EXPECT_EQ(targets[1].rule, WaitRule::kHealthy);
  EXPECT_EQ(targets[1].made_by, "SGCluster/db @ app");
  EXPECT_EQ(shell_quote(poll_commands(*steps[1].poll)[0].argv),
            "kubectl get sgcluster.stackgres.io/db statefulset.apps/db -n app --ignore-not-found "
            "-o json");
}

TEST(Deploy, AFailedWaitStopsTheDeployAfterItsWave) {
  Graph graph = small_graph();
  DeployOptions options;
  options.timeout_seconds = 10;
  auto steps = plan_deploy(graph, plan_waves(graph), options);
  FakeRunner runner("job.batch/migrate");
  FakeTicker ticker;
  size_t seen = 0;
  WaitHooks hooks;
  hooks.ticker = &ticker;
  DeployOutcome outcome = run_deploy(
      steps, runner, [&](const DeployStep&, const StepReport&) { ++seen; }, hooks);
  EXPECT_FALSE(outcome.ok());
  ASSERT_TRUE(outcome.failed_step.has_value());
  EXPECT_EQ(*outcome.failed_step, 5u);
  EXPECT_EQ(outcome.completed, 5u);
  ASSERT_TRUE(outcome.wait.has_value());
  EXPECT_EQ(outcome.wait->end, WaitEnd::kKubectl);
  EXPECT_EQ(outcome.failure.err, "the server is currently unable to handle the request");
  EXPECT_EQ(seen, 6u);
  EXPECT_EQ(ticker.sleeps(), 2) << "three polls, two intervals";
}

TEST(Deploy, SucceedsWhenEveryStepSucceeds) {
  Graph graph = small_graph();
  auto steps = plan_deploy(graph, plan_waves(graph), DeployOptions{});
  FakeRunner runner;
  FakeTicker ticker;
  std::vector<std::string> notes;
  DeployOutcome outcome = run_deploy(
      steps, runner, [&](const DeployStep&, const StepReport& r) { notes.push_back(r.note); },
      WaitHooks{&ticker, {}});
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.completed, steps.size());
  EXPECT_EQ(ticker.sleeps(), 0) << "healthy at the first poll";
  EXPECT_EQ(notes.back(), "2 objects ready in 0s");
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
    } else if (argv.size() > 1 && argv[1] == "get") {
      r.out = answer_get(argv);
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
