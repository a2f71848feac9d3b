#include "cluster/deploy.h"

#include <algorithm>
#include <cctype>

namespace kix {
namespace {

std::vector<std::string> kubectl_base(const DeployOptions& options) {
  std::vector<std::string> argv = {options.kubectl};
  if (!options.context.empty()) {
    argv.push_back("--context");
    argv.push_back(options.context);
  }
  return argv;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "deployment/web" or "cluster.postgresql.cnpg.io/db": what kubectl accepts
// as TYPE/NAME without ambiguity between API groups.
std::string resource_arg(const ResourceId& id) {
  std::string type = lower(id.kind);
  if (!id.group().empty()) type += "." + id.group();
  return type + "/" + id.name;
}

void add_namespace(std::vector<std::string>& argv, const ResourceId& id) {
  if (id.ns.empty()) return;
  argv.push_back("-n");
  argv.push_back(id.ns);
}

// The readiness wait for a resource, or an empty argv when it has none
// (a PVC may wait for its first consumer; a ConfigMap is ready at once).
std::vector<std::string> wait_command(const ResourceId& id, const DeployOptions& options) {
  std::vector<std::string> argv = kubectl_base(options);
  const std::string timeout = "--timeout=" + std::to_string(options.timeout_seconds) + "s";
  const std::string group = id.group();
  if (group == "apps" &&
      (id.kind == "Deployment" || id.kind == "StatefulSet" || id.kind == "DaemonSet")) {
    argv.insert(argv.end(), {"rollout", "status", resource_arg(id)});
  } else if (group == "batch" && id.kind == "Job") {
    argv.insert(argv.end(), {"wait", "--for=condition=complete", resource_arg(id)});
  } else if (group == "apiextensions.k8s.io" && id.kind == "CustomResourceDefinition") {
    argv.insert(argv.end(), {"wait", "--for=condition=established", resource_arg(id)});
  } else if (group == "postgresql.cnpg.io" && id.kind == "Cluster") {
    argv.insert(argv.end(), {"wait", "--for=condition=Ready", resource_arg(id)});
  } else {
    return {};
  }
  add_namespace(argv, id);
  argv.push_back(timeout);
  return argv;
}

std::string wave_input(const Graph& graph, const std::vector<size_t>& wave) {
  Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
  for (size_t i : wave) list["items"].push_back(graph.manifests[i].value);
  return list.dump() + "\n";
}

std::string wave_summary(const Graph& graph, const std::vector<size_t>& wave) {
  std::string out;
  for (size_t i : wave) out += (out.empty() ? "" : ", ") + graph.manifests[i].id.display();
  return out;
}

}  // namespace

std::vector<DeployStep> plan_deploy(const Graph& graph,
                                    const std::vector<std::vector<size_t>>& waves,
                                    const DeployOptions& options) {
  std::vector<DeployStep> steps;
  for (size_t w = 0; w < waves.size(); ++w) {
    DeployStep apply;
    apply.wave = w;
    apply.argv = kubectl_base(options);
    apply.argv.insert(apply.argv.end(),
                      {"apply", "--server-side", "--field-manager=kix", "-f", "-"});
    apply.input = wave_input(graph, waves[w]);
    apply.description = "apply wave " + std::to_string(w) + ": " + wave_summary(graph, waves[w]);
    apply.applies = true;
    steps.push_back(std::move(apply));
    for (size_t i : waves[w]) {
      auto argv = wait_command(graph.manifests[i].id, options);
      if (argv.empty()) continue;
      steps.push_back(
          {w, std::move(argv), "", "wait for " + graph.manifests[i].id.display(), false});
    }
  }
  return steps;
}

DeployOutcome run_deploy(
    const std::vector<DeployStep>& steps, ProcessRunner& runner,
    const std::function<void(const DeployStep&, const ProcessResult&)>& on_step) {
  DeployOutcome outcome;
  for (size_t i = 0; i < steps.size(); ++i) {
    ProcessResult result = runner.run(steps[i].argv, steps[i].input);
    if (on_step) on_step(steps[i], result);
    if (result.exit_code != 0) {
      outcome.failed_step = i;
      outcome.failure = std::move(result);
      return outcome;
    }
    ++outcome.completed;
  }
  return outcome;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](unsigned char c) {
      return std::isalnum(c) ||
             std::string_view("-_./=:@%+,").find(static_cast<char>(c)) != std::string_view::npos;
    });
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace kix
