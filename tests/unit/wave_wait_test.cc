// Waiting for a wave (cluster/wave_wait.h): what is waited for and how, the
// polls kubectl gets, and how a wait ends. Time is a FakeTicker: nothing
// sleeps.
#include "cluster/wave_wait.h"

#include <gtest/gtest.h>

#include <deque>

#include "cluster/deploy.h"

namespace kix {
namespace {

ResourceId id(const std::string& api, const std::string& kind, const std::string& ns,
              const std::string& name) {
  return ResourceId{api, kind, ns, name};
}

Json deployment(const std::string& name, int available, const char* extra = nullptr) {
  Json o = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", name}, {"namespace", "app"}}},
      {"spec", {{"replicas", 1}}},
      {"status", {{"replicas", 1}, {"updatedReplicas", 1}, {"availableReplicas", available}}}};
  if (extra != nullptr) o["status"]["conditions"] = Json::parse(extra);
  return o;
}

Json config_map(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "app"}}}};
}

std::string list(std::vector<Json> items) {
  return Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump();
}

// Answers the calls in order from `answers`, repeating the last one.
class ScriptedRunner : public ProcessRunner {
 public:
  std::deque<ProcessResult> answers;
  std::vector<std::string> calls;
  ProcessResult run(const std::vector<std::string>& argv, const std::string&) override {
    calls.push_back(shell_quote(argv));
    ProcessResult r = answers.front();
    if (answers.size() > 1) answers.pop_front();
    return r;
  }
};

ProcessResult ok(std::string out) {
  return ProcessResult{0, std::move(out), ""};
}

WavePoll poll_of(std::vector<ResourceId> ids, int timeout_seconds = 300) {
  WavePoll poll;
  poll.kubectl = {"kubectl"};
  poll.targets = wait_targets(ids);
  poll.timeout_seconds = timeout_seconds;
  return poll;
}

TEST(WaveWait, WorkloadsMustBeHealthyOtherKindsMustExist) {
  auto targets = wait_targets({
      id("apps/v1", "Deployment", "app", "web"), id("v1", "PersistentVolumeClaim", "app", "data"),
      id("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.org"),
      id("batch/v1", "Job", "app", "migrate"), id("v1", "Service", "app", "web"),
      id("postgresql.cnpg.io/v1", "Cluster", "app", "db"),
      id("external-secrets.io/v1beta1", "ExternalSecret", "app", "token"),
      id("stackgres.io/v1", "SGCluster", "app", "pg"),
      id("apps/v1", "StatefulSet", "app", "pg"),  // also the SGCluster's: once
  });
  std::vector<std::pair<std::string, WaitRule>> got;
  for (const auto& t : targets) got.emplace_back(t.id.display(), t.rule);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, WaitRule>>{
                     {"Deployment/web @ app", WaitRule::kHealthy},
                     {"PersistentVolumeClaim/data @ app", WaitRule::kExists},
                     {"CustomResourceDefinition/widgets.example.org", WaitRule::kHealthy},
                     {"Job/migrate @ app", WaitRule::kHealthy},
                     {"Service/web @ app", WaitRule::kExists},
                     {"Cluster/db @ app", WaitRule::kHealthy},
                     {"ExternalSecret/token @ app", WaitRule::kHealthy},
                     {"SGCluster/pg @ app", WaitRule::kNotDegraded},
                     {"StatefulSet/pg @ app", WaitRule::kHealthy},
                 }));
  EXPECT_EQ(targets[8].made_by, "SGCluster/pg @ app");
}

TEST(WaveWait, OneGetPerNamespaceClusterScopedLastDoneOnesLeftOut) {
  WavePoll poll = poll_of({
      id("v1", "Namespace", "", "app"),
      id("apps/v1", "Deployment", "app", "web"),
      id("v1", "ConfigMap", "other", "cfg"),
      id("batch/v1", "Job", "app", "migrate"),
  });
  poll.kubectl = {"kubectl", "--context", "prod"};
  std::vector<std::string> argvs;
  for (const auto& c : poll_commands(poll)) argvs.push_back(shell_quote(c.argv));
  EXPECT_EQ(argvs,
            (std::vector<std::string>{
                "kubectl --context prod get deployment.apps/web job.batch/migrate -n app "
                "--ignore-not-found -o json",
                "kubectl --context prod get configmap/cfg -n other --ignore-not-found -o json",
                "kubectl --context prod get namespace/app --ignore-not-found -o json",
            }));
  auto rest = poll_commands(poll, {true, true, true, false});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].targets, (std::vector<size_t>{3}));
  EXPECT_EQ(shell_quote(rest[0].argv),
            "kubectl --context prod get job.batch/migrate -n app --ignore-not-found -o json");
}

TEST(WaveWait, JudgesByRule) {
  WaitTarget workload{id("apps/v1", "Deployment", "app", "web"), WaitRule::kHealthy, {}};
  ObjectWait missing = judge(workload, nullptr);
  EXPECT_EQ(missing.health.status, HealthStatus::kMissing);
  EXPECT_FALSE(missing.done);
  EXPECT_FALSE(missing.failed);

  Json paused = deployment("web", 0);
  paused["spec"]["paused"] = true;
  EXPECT_TRUE(judge(workload, &paused).done) << "Suspended is someone's decision";
  Json stuck = deployment(
      "web", 0, R"([{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded"}])");
  EXPECT_TRUE(judge(workload, &stuck).failed);
  Json rolling = deployment("web", 0);
  EXPECT_FALSE(judge(workload, &rolling).done);
  EXPECT_EQ(describe_object(workload, judge(workload, &rolling)),
            "Progressing: 0 of 1 replicas available");

  // A claim that waits for its first consumer is done: it exists.
  WaitTarget claim{id("v1", "PersistentVolumeClaim", "app", "data"), WaitRule::kExists, {}};
  Json pending = {{"apiVersion", "v1"},
                  {"kind", "PersistentVolumeClaim"},
                  {"metadata", {{"name", "data"}}},
                  {"status", {{"phase", "Pending"}}}};
  ObjectWait c = judge(claim, &pending);
  EXPECT_TRUE(c.done);
  EXPECT_EQ(describe_object(claim, c), "exists");
  EXPECT_FALSE(judge(claim, nullptr).done);

  WaitTarget sg{id("stackgres.io/v1", "SGCluster", "app", "pg"), WaitRule::kNotDegraded, {}};
  Json restart = {{"apiVersion", "stackgres.io/v1"},
                  {"kind", "SGCluster"},
                  {"metadata", {{"name", "pg"}}},
                  {"status", {{"conditions", {{{"type", "PendingRestart"}, {"status", "True"}}}}}}};
  EXPECT_TRUE(judge(sg, &restart).done);
  restart["status"]["conditions"] = {{{"type", "Failed"}, {"status", "True"}}};
  EXPECT_TRUE(judge(sg, &restart).failed);
}

TEST(WaveWait, PollsUntilEveryObjectIsReadyAndStopsPollingReadyOnes) {
  WavePoll poll =
      poll_of({id("v1", "ConfigMap", "app", "cfg"), id("apps/v1", "Deployment", "app", "web")});
  ScriptedRunner runner;
  runner.answers = {ok(list({config_map("cfg"), deployment("web", 0)})),
                    ok(deployment("web", 1).dump())};  // one object: not a List
  FakeTicker ticker;
  std::vector<std::vector<size_t>> newly;
  WaveWaitResult result = wait_for_wave(
      poll, runner, ticker, [&](const WaveProgress& p) { newly.push_back(p.newly_done); });
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.elapsed_milliseconds, 2000);
  EXPECT_EQ(ticker.sleeps(), 1);
  EXPECT_EQ(runner.calls,
            (std::vector<std::string>{
                "kubectl get configmap/cfg deployment.apps/web -n app --ignore-not-found -o json",
                "kubectl get deployment.apps/web -n app --ignore-not-found -o json",
            }));
  EXPECT_EQ(newly, (std::vector<std::vector<size_t>>{{0}, {1}}));
  EXPECT_EQ(describe_unfinished(poll, result), "");
}

TEST(WaveWait, AMissingObjectIsWaitedForUntilTheWavesDeadline) {
  WavePoll poll = poll_of({id("stackgres.io/v1", "SGCluster", "app", "pg")}, 5);
  ScriptedRunner runner;
  runner.answers = {ok(list({Json{
      {"apiVersion", "stackgres.io/v1"}, {"kind", "SGCluster"}, {"metadata", {{"name", "pg"}}}}}))};
  FakeTicker ticker;
  WaveWaitResult result = wait_for_wave(poll, runner, ticker);
  EXPECT_EQ(result.end, WaitEnd::kDeadline);
  // Polls at 0, 2 and 4 seconds, and the last one on the deadline.
  EXPECT_EQ(runner.calls.size(), 4u);
  EXPECT_EQ(result.elapsed_milliseconds, 5000);
  EXPECT_EQ(describe_unfinished(poll, result),
            "  StatefulSet/pg @ app (of SGCluster/pg @ app): Missing: not found yet\n");
}

TEST(WaveWait, ADegradedObjectEndsTheWaitAtOnce) {
  WavePoll poll = poll_of(
      {id("apps/v1", "Deployment", "app", "web"), id("apps/v1", "Deployment", "app", "api")});
  ScriptedRunner runner;
  runner.answers = {ok(list({deployment("web", 0, R"([{"type":"ReplicaFailure","status":"True",
      "reason":"FailedCreate","message":"pods \"web-1\" is forbidden: exceeded quota"}])"),
                             deployment("api", 0)}))};
  FakeTicker ticker;
  WaveWaitResult result = wait_for_wave(poll, runner, ticker);
  EXPECT_EQ(result.end, WaitEnd::kDegraded);
  EXPECT_EQ(ticker.sleeps(), 0);
  EXPECT_EQ(describe_unfinished(poll, result),
            "  Deployment/web @ app: Degraded: FailedCreate: pods \"web-1\" is forbidden: exceeded "
            "quota\n"
            "  Deployment/api @ app: Progressing: 0 of 1 replicas available\n");
}

TEST(WaveWait, KubectlFailuresAreRetriedThreeTimes) {
  WavePoll poll = poll_of({id("v1", "ConfigMap", "app", "cfg")});
  ScriptedRunner runner;
  runner.answers = {ProcessResult{1, "", "Unable to connect to the server\n"}, ok("not json"),
                    ok(list({config_map("cfg")}))};
  FakeTicker ticker;
  EXPECT_TRUE(wait_for_wave(poll, runner, ticker).ok());
  EXPECT_EQ(runner.calls.size(), 3u);

  runner.calls.clear();
  runner.answers = {ProcessResult{1, "", "error: You must be logged in to the server\n"}};
  WaveWaitResult result = wait_for_wave(poll, runner, ticker);
  EXPECT_EQ(result.end, WaitEnd::kKubectl);
  EXPECT_EQ(runner.calls.size(), 3u);
  EXPECT_EQ(result.failure.err, "error: You must be logged in to the server\n");
  EXPECT_EQ(shell_quote(result.failed_argv),
            "kubectl get configmap/cfg -n app --ignore-not-found -o json");
}

TEST(WaveWait, NothingFoundIsAnEmptyAnswer) {
  WavePoll poll = poll_of({id("v1", "ConfigMap", "app", "cfg")}, 1);
  ScriptedRunner runner;
  runner.answers = {ok("")};
  FakeTicker ticker;
  WaveWaitResult result = wait_for_wave(poll, runner, ticker);
  EXPECT_EQ(result.end, WaitEnd::kDeadline);
  EXPECT_EQ(result.objects[0].health.status, HealthStatus::kMissing);
}

}  // namespace
}  // namespace kix
