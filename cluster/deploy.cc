#include "cluster/deploy.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "cluster/live_secret.h"
#include "manifest/secret_seal.h"
#include "manifest/secrets.h"
#include "util/error.h"
#include "util/suggest.h"

namespace kix {

std::vector<std::string> kubectl_base(const DeployOptions& options) {
  std::vector<std::string> argv = {options.kubectl};
  if (!options.context.empty()) {
    argv.push_back("--context");
    argv.push_back(options.context);
  }
  return argv;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

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

namespace {

// Whether kubectl applies it: kix.dev kinds are recipes and requirements,
// handled by their own steps; Helm test hooks are for `helm test`.
bool applied(const Manifest& m) {
  return !is_secret_source(m.id) && !is_helm_test(m.value);
}

std::string wave_input(const Graph& graph, const std::vector<size_t>& wave) {
  Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
  for (size_t i : wave) {
    if (applied(graph.manifests[i])) list["items"].push_back(graph.manifests[i].value);
  }
  return list.dump() + "\n";
}

std::string wave_summary(const Graph& graph, const std::vector<size_t>& wave) {
  std::string out;
  for (size_t i : wave) out += (out.empty() ? "" : ", ") + graph.manifests[i].id.display();
  return out;
}

bool wave_applies_anything(const Graph& graph, const std::vector<size_t>& wave) {
  return std::any_of(wave.begin(), wave.end(),
                     [&](size_t i) { return applied(graph.manifests[i]); });
}

std::string secret_label(const SecretSource& source) {
  return "Secret/" + source.id.name + " @ " + source.id.ns;
}

// "password: 32 alphanumeric characters (190 bits); username: fixed"
std::string recipe_summary(const SecretSource& source) {
  std::string out;
  for (const GeneratedValue& v : source.values) {
    out += (out.empty() ? "" : "; ") + v.key + ": ";
    if (v.fixed) {
      out += "fixed";
      continue;
    }
    out += std::to_string(v.length) + " " + v.alphabet_name + " characters (" +
           std::to_string(static_cast<long>(v.entropy_bits())) + " bits)";
  }
  return out;
}

// kubectl's words about a Secret it was given may quote it: every value
// kix generated is replaced before anything is shown.
std::string redact_generated(std::string text, const Json& secret) {
  for (const auto& [key, value] : secret["stringData"].items()) {
    const std::string& v = value.get_ref<const std::string&>();
    if (v.size() < 4) continue;  // would redact ordinary words; such values are fixed ones
    for (size_t at = text.find(v); at != std::string::npos; at = text.find(v, at)) {
      text.replace(at, v.size(), kRedacted);
      at += std::string_view(kRedacted).size();
    }
  }
  return text;
}

std::string secret_key(const ResourceId& id) {
  return id.ns + '\0' + id.name;
}

std::string seconds(int64_t milliseconds) {
  return std::to_string((milliseconds + 500) / 1000) + "s";
}

// "5 objects ready in 12s (1 Suspended)", "timed out after 300s: 2 of 5
// objects not ready", "Deployment/web @ app is Degraded".
std::string wait_summary(const WavePoll& poll, const WaveWaitResult& result) {
  size_t ready = 0;
  size_t suspended = 0;
  for (const ObjectWait& o : result.objects) {
    if (o.done) ++ready;
    if (o.done && o.health.status == HealthStatus::kSuspended) ++suspended;
  }
  const size_t total = poll.targets.size();
  const std::string objects = total == 1 ? " object" : " objects";
  switch (result.end) {
    case WaitEnd::kDone:
      return std::to_string(total) + objects + " ready in " + seconds(result.elapsed_milliseconds) +
             (suspended == 0 ? "" : " (" + std::to_string(suspended) + " Suspended)");
    case WaitEnd::kDegraded: {
      std::string names;
      for (size_t i = 0; i < total; ++i) {
        if (result.objects[i].failed) {
          names += (names.empty() ? "" : ", ") + poll.targets[i].id.display();
        }
      }
      return names + " Degraded after " + seconds(result.elapsed_milliseconds);
    }
    case WaitEnd::kDeadline:
      return "timed out after " + seconds(result.elapsed_milliseconds) + ": " +
             std::to_string(total - ready) + " of " + std::to_string(total) + objects +
             " not ready";
    case WaitEnd::kKubectl:
      return "kubectl get failed three polls in a row";
  }
  return {};
}

}  // namespace

std::vector<DeployStep> plan_deploy(const Graph& graph,
                                    const std::vector<std::vector<size_t>>& waves,
                                    const DeployOptions& options) {
  // A Secret read without its key holds HMACs where its values go: applying
  // it would overwrite the live values with them. Refused before any wave.
  for (const Manifest& m : graph.manifests) {
    if (m.values_known) continue;
    throw Error(ErrorKind::kNotFound,
                m.id.display() + " cannot be deployed: its values are sealed with secret key " +
                    (m.sealed ? m.sealed->key_id : std::string("?")) +
                    ", which is not here; nothing was applied",
                {},
                "put that key file at KIX_SECRET_KEY_FILE (or the default place, "
                "docs/secrets.md) and deploy again");
  }
  std::vector<DeployStep> steps;
  // The checks come first, so a missing Secret stops the deploy before
  // anything reaches the cluster.
  for (const auto& wave : waves) {
    for (size_t i : wave) {
      const Manifest& m = graph.manifests[i];
      if (!is_secret_source(m.id)) continue;
      DeployStep check;
      check.kind = StepKind::kCheckSecret;
      check.secret = read_secret_source(m.value, m.location);
      check.argv = live_secret_command(options.kubectl, options.context, m.id);
      check.description = (check.secret->generated ? "check generated " : "check required ") +
                          secret_label(*check.secret);
      steps.push_back(std::move(check));
    }
  }
  for (size_t w = 0; w < waves.size(); ++w) {
    for (size_t i : waves[w]) {
      const Manifest& m = graph.manifests[i];
      if (m.id.kind != kGeneratedSecretKind || !is_secret_source(m.id)) continue;
      DeployStep generate;
      generate.wave = w;
      generate.kind = StepKind::kGenerateSecret;
      generate.secret = read_secret_source(m.value, m.location);
      generate.argv = kubectl_base(options);
      generate.argv.insert(generate.argv.end(), {"create", "-f", "-"});
      generate.description = "generate " + secret_label(*generate.secret) + " unless it exists (" +
                             recipe_summary(*generate.secret) + ")";
      steps.push_back(std::move(generate));
    }
    if (wave_applies_anything(graph, waves[w])) {
      DeployStep apply;
      apply.wave = w;
      apply.kind = StepKind::kApply;
      apply.argv = kubectl_base(options);
      apply.argv.insert(apply.argv.end(),
                        {"apply", "--server-side", "--field-manager=kix", "-f", "-"});
      apply.input = wave_input(graph, waves[w]);
      apply.description = "apply wave " + std::to_string(w) + ": " + wave_summary(graph, waves[w]);
      steps.push_back(std::move(apply));
    }
    std::vector<ResourceId> applied_ids;
    for (size_t i : waves[w]) {
      if (applied(graph.manifests[i])) applied_ids.push_back(graph.manifests[i].id);
    }
    if (!applied_ids.empty()) {
      DeployStep wait;
      wait.wave = w;
      wait.kind = StepKind::kWait;
      WavePoll poll;
      poll.kubectl = kubectl_base(options);
      poll.targets = wait_targets(applied_ids);
      poll.timeout_seconds = options.timeout_seconds;
      poll.interval_milliseconds = options.poll_interval_milliseconds;
      const size_t n = poll.targets.size();
      wait.description = "wait for wave " + std::to_string(w) + " (" + std::to_string(n) +
                         (n == 1 ? " object)" : " objects)");
      wait.poll = std::move(poll);
      steps.push_back(std::move(wait));
    }
  }
  return steps;
}

DeployOutcome run_deploy(const std::vector<DeployStep>& steps, ProcessRunner& runner,
                         const std::function<void(const DeployStep&, const StepReport&)>& on_step,
                         const WaitHooks& wait) {
  DeployOutcome outcome;
  SystemTicker system_ticker;
  Ticker& ticker = wait.ticker != nullptr ? *wait.ticker : system_ticker;
  std::map<std::string, LiveSecret> live;
  std::optional<size_t> first_missing;
  auto report = [&](const DeployStep& step, bool ok, std::string note) {
    if (on_step) on_step(step, StepReport{ok, std::move(note)});
  };
  auto fail = [&](size_t i, ProcessResult result) {
    outcome.failed_step = i;
    outcome.failure = std::move(result);
    return outcome;
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const DeployStep& step = steps[i];
    if (step.kind != StepKind::kCheckSecret && first_missing) return fail(*first_missing, {});
    if (step.kind == StepKind::kCheckSecret) {
      ProcessResult result = runner.run(step.argv);
      if (result.exit_code != 0) {
        report(step, false, "kubectl failed");
        return fail(i, std::move(result));
      }
      const SecretSource& source = *step.secret;
      LiveSecret secret = parse_live_secret(result.out, source.id);
      live[secret_key(source.id)] = secret;
      ++outcome.completed;
      if (!source.generated) {
        if (auto problem = required_secret_problem(source, secret)) {
          outcome.missing_secrets += *problem;
          if (!first_missing) first_missing = i;
          --outcome.completed;
          report(step, false, secret.exists ? "lacks keys" : "does not exist");
          continue;
        }
        report(step, true, "exists with " + join_names(source.keys));
        continue;
      }
      if (!secret.exists) {
        report(step, true, "does not exist: it will be generated");
        continue;
      }
      std::vector<std::string> missing = missing_keys(source.keys, secret);
      if (!missing.empty()) {
        outcome.warnings.push_back(
            secret_label(source) + " exists without the key" + (missing.size() == 1 ? " " : "s ") +
            join_names(missing) +
            " of its recipe; kix leaves an existing Secret alone (delete it to have it "
            "generated again, or add the keys)");
      }
      report(step, true, "exists: it will be left alone");
      continue;
    }
    if (step.kind == StepKind::kGenerateSecret) {
      const SecretSource& source = *step.secret;
      auto known = live.find(secret_key(source.id));
      if (known != live.end() && known->second.exists) {
        ++outcome.completed;
        report(step, true, "exists: left alone");
        continue;
      }
      Json secret = generate_secret(source);
      ProcessResult result = runner.run(step.argv, secret.dump());
      result.out = redact_generated(std::move(result.out), secret);
      result.err = redact_generated(std::move(result.err), secret);
      // Created between the check and now, by another deploy: still only
      // one set of values, and it is not ours to replace.
      if (result.exit_code != 0 && result.err.find("AlreadyExists") != std::string::npos) {
        ++outcome.completed;
        report(step, true, "created meanwhile by someone else: left alone");
        continue;
      }
      if (result.exit_code != 0) {
        report(step, false, "kubectl failed");
        return fail(i, std::move(result));
      }
      ++outcome.completed;
      report(step, true, "generated");
      continue;
    }
    if (step.kind == StepKind::kWait) {
      WaveWaitResult result =
          wait_for_wave(*step.poll, runner, ticker, [&](const WaveProgress& progress) {
            if (wait.on_progress) wait.on_progress(step, progress);
          });
      if (!result.ok()) {
        report(step, false, wait_summary(*step.poll, result));
        ProcessResult failure = result.failure;
        outcome.wait = std::move(result);
        return fail(i, std::move(failure));
      }
      ++outcome.completed;
      report(step, true, wait_summary(*step.poll, result));
      continue;
    }
    ProcessResult result = runner.run(step.argv, step.input);
    if (result.exit_code != 0) {
      report(step, false, {});
      return fail(i, std::move(result));
    }
    ++outcome.completed;
    report(step, true, {});
  }
  if (first_missing) return fail(*first_missing, {});
  return outcome;
}

bool is_helm_test(const Json& manifest) {
  if (!manifest.is_object()) return false;
  auto metadata = manifest.find("metadata");
  if (metadata == manifest.end() || !metadata->is_object()) return false;
  auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return false;
  auto hook = annotations->find("helm.sh/hook");
  if (hook == annotations->end() || !hook->is_string()) return false;
  std::string hooks = "," + hook->get<std::string>() + ",";
  hooks.erase(std::remove(hooks.begin(), hooks.end(), ' '), hooks.end());
  return hooks.find(",test,") != std::string::npos ||
         hooks.find(",test-success,") != std::string::npos;
}

}  // namespace kix
