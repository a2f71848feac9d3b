#include "cluster/deploy.h"

#include <gtest/gtest.h>

#include "cluster/waves.h"

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

TEST(Deploy, ShellQuoteQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote({"kubectl", "-n", "a b", "it's", ""}), "kubectl -n 'a b' 'it'\\''s' ''");
}

}  // namespace
}  // namespace kix
