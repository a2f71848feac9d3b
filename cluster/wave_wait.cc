#include "cluster/wave_wait.h"

#include <algorithm>
#include <set>

#include "cluster/deploy.h"
#include "cluster/kubectl.h"
#include "manifest/document.h"
#include "util/error.h"
#include "util/printable.h"

namespace kix {

namespace {

// Three failed polls in a row are about six seconds of an API server that
// does not answer: longer than a webhook or an aggregated API takes to come
// up, short enough that a lost connection is not waited out to the deadline.
constexpr int kKubectlFailuresTolerated = 3;

WaitRule rule_for(const ResourceId& id) {
  const std::string group = id.group();
  const std::string& kind = id.kind;
  if (group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
                          kind == "ReplicaSet")) {
    return WaitRule::kHealthy;
  }
  if ((group == "batch" && kind == "Job") || (group.empty() && kind == "Pod") ||
      (group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") ||
      (group == "postgresql.cnpg.io" && kind == "Cluster") ||
      (group == "external-secrets.io" && kind == "ExternalSecret") ||
      (group == "cert-manager.io" && kind == "Certificate")) {
    return WaitRule::kHealthy;
  }
  if (group == "stackgres.io" && kind == "SGCluster") return WaitRule::kNotDegraded;
  return WaitRule::kExists;
}

std::string group_of(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

const std::string* text_at(const Json& v, const char* a, const char* b = nullptr) {
  if (!v.is_object()) return nullptr;
  auto it = v.find(a);
  if (it == v.end()) return nullptr;
  if (b != nullptr) {
    if (!it->is_object()) return nullptr;
    auto inner = it->find(b);
    if (inner == it->end()) return nullptr;
    it = inner;
  }
  return it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// The objects of kubectl's answer: nothing (every object was not found),
// one object (a single TYPE/NAME), or a List of them. Throws kIo when it is
// not JSON.
std::vector<Json> live_objects(const std::string& out) {
  std::vector<Json> objects;
  if (out.find_first_not_of(" \t\r\n") == std::string::npos) return objects;
  Diagnostics ignored;  // kubectl writes plain JSON
  for (Document& doc : parse_json(out, "kubectl get", ignored, live_parse_options())) {
    const std::string* kind = text_at(doc.value, "kind");
    if (kind != nullptr && *kind == "List" && doc.value["items"].is_array()) {
      for (Json& item : doc.value["items"]) objects.push_back(std::move(item));
    } else if (doc.value.is_object()) {
      objects.push_back(std::move(doc.value));
    }
  }
  return objects;
}

// Whether `live` is the object `id` names. The namespace is the call's, so
// group, kind and name decide (a version change is the same object).
bool is_object(const Json& live, const ResourceId& id) {
  const std::string* api = text_at(live, "apiVersion");
  const std::string* kind = text_at(live, "kind");
  const std::string* name = text_at(live, "metadata", "name");
  return api != nullptr && kind != nullptr && name != nullptr && *kind == id.kind &&
         *name == id.name && group_of(*api) == id.group();
}

}  // namespace

std::vector<WaitTarget> wait_targets(const std::vector<ResourceId>& applied) {
  std::vector<WaitTarget> targets;
  std::set<std::string> seen;
  auto add = [&](WaitTarget t) {
    if (seen.insert(t.id.key()).second) targets.push_back(std::move(t));
  };
  for (const ResourceId& id : applied) {
    add({id, rule_for(id), {}});
    if (id.group() == "stackgres.io" && id.kind == "SGCluster") {
      // The operator runs the database as the StatefulSet of the cluster's
      // name: the SGCluster is ready for its dependents when that is.
      add({ResourceId{"apps/v1", "StatefulSet", id.ns, id.name}, WaitRule::kHealthy, id.display()});
    }
  }
  return targets;
}

std::vector<PollCommand> poll_commands(const WavePoll& poll, const std::vector<bool>& done) {
  std::vector<PollCommand> commands;
  std::vector<std::string> namespaces;  // in order of first appearance, "" last
  for (size_t i = 0; i < poll.targets.size(); ++i) {
    if (i < done.size() && done[i]) continue;
    const std::string& ns = poll.targets[i].id.ns;
    auto at = std::find(namespaces.begin(), namespaces.end(), ns);
    if (at == namespaces.end()) {
      namespaces.push_back(ns);
      commands.emplace_back();
      at = namespaces.end() - 1;
    }
    commands[at - namespaces.begin()].targets.push_back(i);
  }
  auto cluster = std::find(namespaces.begin(), namespaces.end(), "");
  if (cluster != namespaces.end()) {
    std::rotate(commands.begin() + (cluster - namespaces.begin()),
                commands.begin() + (cluster - namespaces.begin()) + 1, commands.end());
  }
  for (PollCommand& c : commands) {
    c.argv = poll.kubectl;
    c.argv.push_back("get");
    for (size_t i : c.targets) c.argv.push_back(resource_arg(poll.targets[i].id));
    add_namespace(c.argv, poll.targets[c.targets.front()].id);
    // A missing object is Missing, not an error: kubectl leaves it out.
    c.argv.insert(c.argv.end(), {"--ignore-not-found", "-o", "json"});
  }
  return commands;
}

ObjectWait judge(const WaitTarget& target, const Json* live) {
  ObjectWait out;
  if (live == nullptr) return out;
  out.health = evaluate_health(*live);
  const HealthStatus s = out.health.status;
  switch (target.rule) {
    case WaitRule::kHealthy:
      // Suspended is someone's decision; waiting for it would never end.
      out.done = s == HealthStatus::kHealthy || s == HealthStatus::kSuspended;
      out.failed = s == HealthStatus::kDegraded;
      break;
    case WaitRule::kNotDegraded:
      out.failed = s == HealthStatus::kDegraded;
      out.done = !out.failed;
      break;
    case WaitRule::kExists:
      out.done = true;
      break;
  }
  return out;
}

WaveWaitResult wait_for_wave(const WavePoll& poll, ProcessRunner& runner, Ticker& ticker,
                             const std::function<void(const WaveProgress&)>& on_progress) {
  WaveWaitResult result;
  result.objects.resize(poll.targets.size());
  const int64_t start = ticker.now_milliseconds();
  const int64_t deadline = start + int64_t{poll.timeout_seconds} * 1000;
  int failures_in_a_row = 0;
  while (true) {
    std::vector<bool> done(poll.targets.size());
    for (size_t i = 0; i < done.size(); ++i) done[i] = result.objects[i].done;
    std::vector<size_t> newly_done;
    bool poll_failed = false;
    for (const PollCommand& command : poll_commands(poll, done)) {
      ProcessResult answer = runner.run(command.argv);
      std::vector<Json> live;
      if (answer.exit_code == 0) {
        try {
          live = live_objects(answer.out);
        } catch (const Error& e) {
          answer.exit_code = -1;
          answer.err = "kubectl's answer is not JSON: " + std::string(e.what()) + "\n";
        }
      }
      if (answer.exit_code != 0) {
        // The targets keep what the last poll saw.
        poll_failed = true;
        result.failed_argv = command.argv;
        result.failure = std::move(answer);
        continue;
      }
      for (size_t i : command.targets) {
        const WaitTarget& target = poll.targets[i];
        auto found = std::find_if(live.begin(), live.end(),
                                  [&](const Json& o) { return is_object(o, target.id); });
        result.objects[i] = judge(target, found == live.end() ? nullptr : &*found);
        if (result.objects[i].done) newly_done.push_back(i);
      }
    }
    failures_in_a_row = poll_failed ? failures_in_a_row + 1 : 0;
    const int64_t now = ticker.now_milliseconds();
    result.elapsed_milliseconds = now - start;
    if (on_progress) on_progress(WaveProgress{poll, result.objects, newly_done, now - start});
    if (std::any_of(result.objects.begin(), result.objects.end(),
                    [](const ObjectWait& o) { return o.failed; })) {
      result.end = WaitEnd::kDegraded;
      break;
    }
    if (failures_in_a_row >= kKubectlFailuresTolerated) {
      result.end = WaitEnd::kKubectl;
      break;
    }
    if (!poll_failed && std::all_of(result.objects.begin(), result.objects.end(),
                                    [](const ObjectWait& o) { return o.done; })) {
      result.end = WaitEnd::kDone;
      break;
    }
    if (now >= deadline) {
      result.end = WaitEnd::kDeadline;
      break;
    }
    // The last poll falls on the deadline itself, not an interval past it.
    ticker.sleep_milliseconds(std::min(poll.interval_milliseconds, deadline - now));
  }
  if (result.end != WaitEnd::kKubectl) {
    result.failed_argv.clear();
    result.failure = {};
  }
  return result;
}

std::string describe_object(const WaitTarget& target, const ObjectWait& object) {
  if (object.done && target.rule == WaitRule::kExists) return "exists";
  std::string out = health_status_name(object.health.status);
  if (!object.health.reason.empty()) out += ": " + object.health.reason;
  return out;
}

std::string describe_unfinished(const WavePoll& poll, const WaveWaitResult& result) {
  std::string failed;
  std::string waiting;
  for (size_t i = 0; i < poll.targets.size() && i < result.objects.size(); ++i) {
    const ObjectWait& o = result.objects[i];
    if (o.done && !o.failed) continue;
    const WaitTarget& t = poll.targets[i];
    std::string line = "  " + t.id.display() +
                       (t.made_by.empty() ? "" : " (of " + t.made_by + ")") + ": " +
                       escape_controls(describe_object(t, o)) + "\n";
    (o.failed ? failed : waiting) += line;
  }
  return failed + waiting;
}

}  // namespace kix
