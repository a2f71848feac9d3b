#include "compiler/post_deploy_checks.h"

#include <set>

#include "compiler/network_policies.h"
#include "manifest/pod_template.h"
#include "util/hash.h"

namespace kix::compiler {

namespace {

// The Job for a check: busybox runs `script` once with `env`; its pods
// carry `labels` (the consumer's, for reachability).
Json job(const std::string& ns, const Json& labels, const std::string& script, const Json& env) {
  Json pod_labels = labels.is_object() ? labels : Json::object();
  Json spec{{"backoffLimit", 0},
            {"activeDeadlineSeconds", 60},
            {"ttlSecondsAfterFinished", 3600},
            {"template",
             {{"metadata", {{"labels", pod_labels}}},
              {"spec",
               {{"restartPolicy", "Never"},
                {"automountServiceAccountToken", false},
                {"containers", Json::array({{{"name", "check"},
                                             {"image", kCheckImage},
                                             {"command", Json::array({"sh", "-c", script})},
                                             {"env", env},
                                             {"resources",
                                              {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}},
                                               {"limits", {{"memory", "32Mi"}}}}}}})}}}}}};
  // Named after what it runs, so a changed check is a new Job.
  const std::string hash = Hash::of(canonical_json(Json{{"namespace", ns}, {"spec", spec}})).hex();
  Json manifest{{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata",
                 {{"name", "kix-check-" + hash.substr(0, 12)},
                  {"namespace", ns},
                  {"labels",
                   {{"app.kubernetes.io/managed-by", "kix"},
                    {"app.kubernetes.io/component", "post-deploy-check"}}}}},
                {"spec", spec}};
  manifest["spec"]["template"]["metadata"]["labels"]["kix.dev/check"] = hash.substr(0, 12);
  return manifest;
}

Json env_of(std::initializer_list<std::pair<const char*, std::string>> vars) {
  Json env = Json::array();
  for (const auto& [name, value] : vars) env.push_back({{"name", name}, {"value", value}});
  return env;
}

constexpr const char* kTcpScript = "nc -z -w 5 \"$HOST\" \"$PORT\"";
constexpr const char* kHttpScript =
    "wget -q -T 10 -O /tmp/body \"$URL\" && { [ -z \"$EXPECT\" ] || grep -qF -- \"$EXPECT\" "
    "/tmp/body; }";

PostDeployCheck tcp(std::string name, const std::string& ns, const Json& labels,
                    const std::string& host, const std::string& port) {
  PostDeployCheck c{std::move(name), "tcp", host + ":" + port, "", ns, "", {}};
  c.manifest = job(ns, labels, kTcpScript, env_of({{"HOST", host}, {"PORT", port}}));
  c.job = c.manifest["metadata"]["name"];
  return c;
}

std::string port_text(const Json& p) {
  if (p.is_number_integer()) return std::to_string(p.get<int64_t>());
  if (p.is_string()) return p.get<std::string>();
  return "";
}

// Where a provider answers: out.fqdn and out.port, else its first
// Service's name and port.
std::optional<std::pair<std::string, std::string>> address(const Compilation& c, size_t provider) {
  const CompiledInstance& inst = c.instances[provider];
  const Json& out = inst.out.json;
  if (out.is_object() && out.contains("fqdn") && out["fqdn"].is_string()) {
    std::string port = out.contains("port") ? port_text(out["port"]) : "";
    if (port.empty() && out.contains("ports") && out["ports"].is_array() && !out["ports"].empty()) {
      const Json& first = out["ports"][0];
      port = port_text(first.is_object() ? first.value("port", Json()) : first);
    }
    if (!port.empty()) return std::make_pair(out["fqdn"].get<std::string>(), port);
  }
  for (size_t r : inst.resources) {
    const Json& m = c.resources[r].manifest;
    if (m.value("kind", "") != "Service" || m.value("apiVersion", "") != "v1") continue;
    const Json* ports = json_at(m, {"spec", "ports"});
    if (ports == nullptr || !ports->is_array() || ports->empty()) continue;
    const std::string port = port_text((*ports)[0].value("port", Json()));
    if (port.empty()) continue;
    return std::make_pair(
        m["metadata"].value("name", "") + "." + inst.decl.ns + ".svc.cluster.local", port);
  }
  return std::nullopt;
}

}  // namespace

std::vector<PostDeployCheck> derive_checks(const Compilation& c,
                                           std::vector<std::string>* problems) {
  std::vector<PostDeployCheck> checks;
  std::set<std::pair<size_t, size_t>> done;
  for (size_t ci = 0; ci < c.instances.size(); ++ci) {
    for (const Binding& b : c.instances[ci].bindings) {
      if (!b.target || *b.target == ci || !done.insert({ci, *b.target}).second) continue;
      std::optional<EdgeEnds> ends = edge_ends(c, ci, *b.target);
      if (!ends) continue;
      auto where = address(c, *b.target);
      if (!where) continue;
      const InstanceDecl& consumer = c.instances[ci].decl;
      checks.push_back(tcp(consumer.qualified() + " -> " + c.instances[*b.target].decl.qualified(),
                           consumer.ns, ends->consumer_pods, where->first, where->second));
    }
  }
  for (const CompiledInstance& inst : c.instances) {
    if (!inst.tests.is_array()) continue;
    for (const Json& t : inst.tests) {
      const std::string name = inst.decl.qualified() + ": " + t.value("name", "");
      if (t.contains("http") && t["http"].is_object() &&
          t["http"].value("url", Json()).is_string()) {
        const std::string url = t["http"]["url"];
        const Json body = t["http"].value("body", Json(""));
        const std::string expect = body.is_string() ? body.get<std::string>() : body.dump();
        PostDeployCheck check{name, "http", url, expect, inst.decl.ns, "", {}};
        check.manifest = job(inst.decl.ns, Json{{kPostDeployTestLabel, "true"}}, kHttpScript,
                             env_of({{"URL", url}, {"EXPECT", expect}}));
        check.job = check.manifest["metadata"]["name"];
        checks.push_back(std::move(check));
      } else if (t.contains("tcp") && t["tcp"].is_object() &&
                 t["tcp"].value("host", Json()).is_string() &&
                 !port_text(t["tcp"].value("port", Json())).empty()) {
        checks.push_back(tcp(name, inst.decl.ns, Json{{kPostDeployTestLabel, "true"}},
                             t["tcp"]["host"], port_text(t["tcp"]["port"])));
      } else if (problems != nullptr) {
        problems->push_back(name +
                            ": not an http url or a tcp host and port once rendered: " + t.dump());
      }
    }
  }
  return checks;
}

}  // namespace kix::compiler
