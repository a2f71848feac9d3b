#include "compiler/network_policies.h"

#include <map>
#include <optional>
#include <set>

#include "compiler/post_deploy_checks.h"
#include "manifest/pod_template.h"

namespace kix::compiler {

namespace {

const Json* field(const Json& j, const char* key) {
  return json_child(j, key);
}

struct Endpoint {
  Json pods;   // a label selector's matchLabels
  Json ports;  // NetworkPolicyPort list
  Provenance from;
};

class Deriver {
 public:
  Deriver(const Compilation& c, const NetworkPolicySettings& s, std::vector<Error>* errors)
      : c_(c), s_(s), errors_(errors) {}

  std::vector<CompiledResource> take() { return std::move(added_); }

  void run() {
    std::map<std::string, size_t> namespaces;  // name -> its Namespace resource
    for (size_t i = 0; i < c_.resources.size(); ++i) {
      const Json& m = c_.resources[i].manifest;
      if (c_.resources[i].instance == kNoInstance && m.value("kind", "") == "Namespace") {
        namespaces[m["metadata"].value("name", "")] = i;
      }
    }
    namespaces_ = namespaces;
    std::set<std::string> tested;  // namespaces with package tests
    for (const CompiledInstance& inst : c_.instances) {
      if (inst.tests.is_array() && !inst.tests.empty()) tested.insert(inst.decl.ns);
    }
    for (const auto& [ns, index] : namespaces) {
      if (!s_.derives(ns)) continue;
      default_deny(ns, index);
      if (s_.egress) allow_dns(ns, index);
      if (tested.count(ns)) allow_tests(ns, index);
    }
    std::set<std::pair<size_t, size_t>> done;
    for (size_t ci = 0; ci < c_.instances.size(); ++ci) {
      for (const Binding& b : c_.instances[ci].bindings) {
        if (!b.target || *b.target == ci || !done.insert({ci, *b.target}).second) continue;
        edge(ci, *b.target);
      }
    }
  }

 public:
  bool usable(const CompiledInstance& inst) const {
    return inst.evaluated && !inst.failed && !inst.decl.external;
  }

  // out.<key> of an instance, with what it derives from.
  std::optional<Value> out_part(const CompiledInstance& inst, const char* key) {
    const Json* part = field(inst.out.json, key);
    if (part == nullptr || part->is_null()) return std::nullopt;
    return inst.out.child(key, *part);
  }

  void bad_out(const CompiledInstance& inst, const std::string& what) {
    if (errors_ == nullptr) return;
    errors_->emplace_back(ErrorKind::kInvalidInput,
                          "instance '" + inst.decl.qualified() + "': " + what, inst.decl.where,
                          "out.podSelector is a map of labels; out.ports a list of port numbers "
                          "or {port, protocol} (docs/cluster-definitions.md, \"Network "
                          "policies\")");
  }

  static bool string_map(const Json& j) {
    if (!j.is_object() || j.empty()) return false;
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string()) return false;
    }
    return true;
  }

  // A named targetPort, through the container ports of the instance's workloads.
  Json resolve_port(const CompiledInstance& inst, const Json& target) {
    if (!target.is_string()) return target;
    for (size_t r : inst.resources) {
      const Json& m = c_.resources[r].manifest;
      const Json* spec = pod_spec(m);
      const Json* containers = spec == nullptr ? nullptr : field(*spec, "containers");
      if (containers == nullptr || !containers->is_array()) continue;
      for (const Json& container : *containers) {
        const Json* ports = field(container, "ports");
        if (ports == nullptr || !ports->is_array()) continue;
        for (const Json& p : *ports) {
          if (p.value("name", "") == target.get<std::string>() && p.contains("containerPort")) {
            return p["containerPort"];
          }
        }
      }
    }
    return target;  // a named port is valid in a policy too
  }

  std::optional<Endpoint> provider(size_t pi) {
    const CompiledInstance& inst = c_.instances[pi];
    if (!usable(inst)) return std::nullopt;
    auto pods = out_part(inst, "podSelector");
    auto ports = out_part(inst, "ports");
    if (pods || ports) {
      if (!pods || !ports) {
        bad_out(inst, "declares only one of out.podSelector and out.ports");
        return std::nullopt;
      }
      if (!string_map(pods->json)) {
        bad_out(inst, "out.podSelector is not a map of labels");
        return std::nullopt;
      }
      if (!ports->json.is_array() || ports->json.empty()) {
        bad_out(inst, "out.ports is not a list of ports");
        return std::nullopt;
      }
      Endpoint e{pods->json, Json::array(), pods->all()};
      merge_provenance(e.from, ports->all());
      for (const Json& p : ports->json) {
        if (p.is_number_integer()) {
          e.ports.push_back({{"port", p}, {"protocol", "TCP"}});
        } else if (p.is_object() && p.contains("port")) {
          e.ports.push_back({{"port", p["port"]}, {"protocol", p.value("protocol", "TCP")}});
        } else {
          bad_out(inst, "out.ports holds " + p.dump() + ", which is not a port");
          return std::nullopt;
        }
      }
      return e;
    }
    for (size_t r : inst.resources) {
      const Json& m = c_.resources[r].manifest;
      if (m.value("kind", "") != "Service" || m.value("apiVersion", "") != "v1") continue;
      const Json* spec = field(m, "spec");
      const Json* selector = spec == nullptr ? nullptr : field(*spec, "selector");
      const Json* ports = spec == nullptr ? nullptr : field(*spec, "ports");
      if (selector == nullptr || !string_map(*selector) || ports == nullptr || !ports->is_array()) {
        continue;
      }
      Endpoint e{*selector, Json::array(), {r}};
      for (const Json& p : *ports) {
        Json target = p.contains("targetPort") ? p["targetPort"] : p.value("port", Json());
        if (target.is_null()) continue;
        e.ports.push_back(
            {{"port", resolve_port(inst, target)}, {"protocol", p.value("protocol", "TCP")}});
      }
      if (!e.ports.empty()) return e;
    }
    return std::nullopt;
  }

  std::optional<Json> consumer_pods(size_t ci) {
    const CompiledInstance& inst = c_.instances[ci];
    if (!usable(inst)) return std::nullopt;
    if (auto pods = out_part(inst, "podSelector")) {
      if (string_map(pods->json)) return pods->json;
      return std::nullopt;  // reported when it is a provider
    }
    if (inst.package == nullptr) return std::nullopt;
    const Json labels{{"app.kubernetes.io/name", inst.package->name},
                      {"app.kubernetes.io/instance", inst.decl.name}};
    for (size_t r : inst.resources) {
      const Json* have = pod_labels(c_.resources[r].manifest);
      if (have == nullptr || !has_pods(c_.resources[r].manifest.value("kind", ""))) continue;
      bool all = true;
      for (const auto& [k, v] : labels.items()) all = all && have->contains(k) && (*have)[k] == v;
      if (all) return labels;
    }
    return std::nullopt;
  }

 private:
  void add(Json manifest, const std::string& ns, Provenance from, const std::string& why,
           const SourceLocation& where) {
    Json& metadata = manifest["metadata"];
    metadata["namespace"] = ns;
    metadata["labels"] = {{"app.kubernetes.io/managed-by", "kix"},
                          {"app.kubernetes.io/part-of", ns},
                          {"app.kubernetes.io/component", "network-policy"}};
    CompiledResource r;
    r.manifest = std::move(manifest);
    r.rendered_from = why;
    r.where = where;
    for (size_t f : from) {
      r.refs.push_back(f);
      r.ref_reasons.push_back("the provider's pods and ports");
    }
    if (auto it = namespaces_.find(ns); it != namespaces_.end()) {
      r.refs.push_back(it->second);
      r.ref_reasons.push_back("namespace");
    }
    added_.push_back(std::move(r));
  }

  static Json policy(const std::string& name, Json pods, Json types) {
    return Json{
        {"apiVersion", "networking.k8s.io/v1"},
        {"kind", "NetworkPolicy"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"podSelector", {{"matchLabels", std::move(pods)}}}, {"policyTypes", std::move(types)}}}};
  }

  void default_deny(const std::string& ns, size_t ns_index) {
    Json types = s_.egress ? Json::array({"Ingress", "Egress"}) : Json::array({"Ingress"});
    Json p = policy("kix-default-deny", Json::object(), types);
    p["spec"]["podSelector"] = Json::object();
    add(std::move(p), ns, {}, "networkPolicies: derive (default deny)",
        c_.resources[ns_index].where);
  }

  void allow_dns(const std::string& ns, size_t ns_index) {
    Json p = policy("kix-allow-dns", Json::object(), Json::array({"Egress"}));
    p["spec"]["podSelector"] = Json::object();
    p["spec"]["egress"] = Json::array(
        {{{"to",
           Json::array({{{"namespaceSelector",
                          {{"matchLabels", {{"kubernetes.io/metadata.name", "kube-system"}}}}},
                         {"podSelector", {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}}})},
          {"ports", Json::array({{{"port", 53}, {"protocol", "UDP"}},
                                 {{"port", 53}, {"protocol", "TCP"}}})}}});
    add(std::move(p), ns, {}, "networkPolicies: egress (DNS)", c_.resources[ns_index].where);
  }

  // Package tests (kix test) run from pods labelled kPostDeployTestLabel:
  // they may reach every pod of the namespace, and nothing else lets them in.
  void allow_tests(const std::string& ns, size_t ns_index) {
    const Json tests{{kPostDeployTestLabel, "true"}};
    Json in = policy("kix-allow-post-deploy-tests", Json::object(), Json::array({"Ingress"}));
    in["spec"]["podSelector"] = Json::object();
    in["spec"]["ingress"] =
        Json::array({{{"from", Json::array({{{"podSelector", {{"matchLabels", tests}}}}})}}});
    add(std::move(in), ns, {}, "the packages' post-deploy tests (kix test)",
        c_.resources[ns_index].where);
    if (!s_.egress) return;
    Json out = policy("kix-egress-post-deploy-tests", tests, Json::array({"Egress"}));
    out["spec"]["egress"] =
        Json::array({{{"to", Json::array({{{"podSelector", Json::object()}}})}}});
    add(std::move(out), ns, {}, "the packages' post-deploy tests (kix test)",
        c_.resources[ns_index].where);
  }

  void edge(size_t ci, size_t pi) {
    const CompiledInstance& consumer = c_.instances[ci];
    const CompiledInstance& prov = c_.instances[pi];
    const bool ingress = s_.derives(prov.decl.ns) && namespaces_.count(prov.decl.ns);
    const bool egress =
        s_.egress && s_.derives(consumer.decl.ns) && namespaces_.count(consumer.decl.ns);
    if (!ingress && !egress) return;
    std::optional<Endpoint> to = provider(pi);
    if (!to) return;
    std::optional<Json> from = consumer_pods(ci);
    if (!from) return;
    const bool across = consumer.decl.ns != prov.decl.ns;
    const std::string who = (across ? consumer.decl.ns + "-" : "") + consumer.decl.name;
    const std::string why =
        "the dependency " + consumer.decl.qualified() + " -> " + prov.decl.qualified();
    Json peer{{"podSelector", {{"matchLabels", *from}}}};
    if (across) {
      peer["namespaceSelector"] = {
          {"matchLabels", {{"kubernetes.io/metadata.name", consumer.decl.ns}}}};
    }
    if (ingress) {
      Json p =
          policy("kix-allow-" + who + "-to-" + prov.decl.name, to->pods, Json::array({"Ingress"}));
      p["spec"]["ingress"] = Json::array({{{"from", Json::array({peer})}, {"ports", to->ports}}});
      add(std::move(p), prov.decl.ns, to->from, why, consumer.decl.where);
    }
    if (egress) {
      Json target{{"podSelector", {{"matchLabels", to->pods}}}};
      if (across) {
        target["namespaceSelector"] = {
            {"matchLabels", {{"kubernetes.io/metadata.name", prov.decl.ns}}}};
      }
      const std::string whom = (across ? prov.decl.ns + "-" : "") + prov.decl.name;
      Json p = policy("kix-egress-" + consumer.decl.name + "-to-" + whom, *from,
                      Json::array({"Egress"}));
      p["spec"]["egress"] = Json::array({{{"to", Json::array({target})}, {"ports", to->ports}}});
      add(std::move(p), consumer.decl.ns, to->from, why, consumer.decl.where);
    }
  }

  const Compilation& c_;
  const NetworkPolicySettings& s_;
  std::vector<Error>* errors_;
  std::vector<CompiledResource> added_;
  std::map<std::string, size_t> namespaces_;
};

}  // namespace

void derive_network_policies(Compilation& c, const NetworkPolicySettings& settings) {
  if (!settings.any()) return;
  Deriver deriver(c, settings, &c.errors);
  deriver.run();
  for (CompiledResource& r : deriver.take()) c.resources.push_back(std::move(r));
}

std::optional<EdgeEnds> edge_ends(const Compilation& c, size_t consumer, size_t provider) {
  const NetworkPolicySettings none;
  Deriver deriver(c, none, nullptr);
  std::optional<Endpoint> to = deriver.provider(provider);
  std::optional<Json> from = deriver.consumer_pods(consumer);
  if (!to || !from) return std::nullopt;
  return EdgeEnds{*from, to->pods, to->ports};
}

}  // namespace kix::compiler
