#include "compiler/canary.h"

#include <algorithm>
#include <map>
#include <set>

#include "manifest/pod_template.h"
#include "util/error.h"

namespace kix::compiler {

namespace {

const Json* at(const Json& j, std::initializer_list<const char*> path) {
  return json_at(j, path);
}

Json object_or_empty(const Json* j) {
  return j != nullptr && j->is_object() ? *j : Json::object();
}

void mark(Json& manifest, const std::string& hash, const std::string& of) {
  Json& metadata = manifest["metadata"];
  if (!metadata["labels"].is_object()) metadata["labels"] = Json::object();
  metadata["labels"][kCanaryLabel] = hash;
  if (!metadata["annotations"].is_object()) metadata["annotations"] = Json::object();
  metadata["annotations"][kCanaryOfAnnotation] = of;
}

// Does `selector` (a Service's spec.selector) pick pods labelled `labels`?
bool selects(const Json& selector, const Json& labels) {
  if (!selector.is_object() || selector.empty() || !labels.is_object()) return false;
  for (const auto& [k, v] : selector.items()) {
    auto it = labels.find(k);
    if (it == labels.end() || *it != v) return false;
  }
  return true;
}

// The label of `selector` a weighted canary's pods change, so that the base's Service
// no longer picks them.
std::string split_key(const Json& selector) {
  if (selector.contains("app.kubernetes.io/component")) return "app.kubernetes.io/component";
  std::string last;
  for (const auto& [k, v] : selector.items()) last = k;
  return last;
}

struct Builder {
  std::vector<Manifest> manifests;
  std::vector<std::vector<size_t>> refs;
  std::vector<std::vector<std::string>> reasons;
  std::map<std::string, size_t> index;

  size_t add(Json value, std::vector<std::pair<size_t, std::string>> to) {
    Manifest m = make_manifest(std::move(value), {});
    index[m.id.key()] = manifests.size();
    manifests.push_back(std::move(m));
    refs.emplace_back();
    reasons.emplace_back();
    for (auto& [target, why] : to) {
      refs.back().push_back(target);
      reasons.back().push_back(std::move(why));
    }
    return manifests.size() - 1;
  }
};

std::string namespace_key(const std::string& ns) {
  return ResourceId{"v1", "Namespace", "", ns}.key();
}

}  // namespace

Canary make_canary(const Graph& working, const Graph& base, const CanaryOptions& options) {
  if (options.replicas.has_value() == options.weight.has_value()) {
    throw Error(ErrorKind::kInvalidInput, "a canary takes either --replicas or --weight", {},
                "--replicas N runs N pods beside the current ones; --weight P sends P percent of "
                "a Gateway's traffic to them");
  }
  if (options.replicas && *options.replicas < 1) {
    throw Error(ErrorKind::kInvalidInput, "--replicas must be at least 1", {},
                "the canary runs that many pods beside the current ones");
  }
  if (options.weight && (*options.weight < 1 || *options.weight > 99)) {
    throw Error(ErrorKind::kInvalidInput, "--weight must be a percentage from 1 to 99", {},
                "100 is a promotion: kix canary --promote");
  }
  if (options.weight && options.gateway.empty()) {
    throw Error(ErrorKind::kInvalidInput,
                "--weight needs --gateway: the Gateway whose traffic is split", {},
                "name the Gateway API Gateway as --gateway NAME or --gateway NAMESPACE/NAME");
  }

  std::map<std::string, size_t> base_index;
  for (size_t i = 0; i < base.manifests.size(); ++i) base_index[base.manifests[i].id.key()] = i;
  std::set<std::string> working_keys;
  std::set<std::string> differs;  // new, or changed against the base
  Canary canary;
  std::vector<size_t> candidates;
  for (size_t k = 0; k < working.manifests.size(); ++k) {
    const Manifest& m = working.manifests[k];
    working_keys.insert(m.id.key());
    auto it = base_index.find(m.id.key());
    if (it == base_index.end()) {
      differs.insert(m.id.key());
      canary.left_out.push_back(m.id.display() + " is new: the canary does not add it");
    } else if (base.manifests[it->second].blob != m.blob) {
      // Content, not node hashes: a Service whose Deployment changed has
      // another node hash but the same bytes, and is the base's own.
      differs.insert(m.id.key());
      if (m.id.group() == "apps" && m.id.kind == "Deployment") {
        candidates.push_back(k);
      } else {
        canary.left_out.push_back(m.id.display() +
                                  " changed: the canary does not carry it (only Deployments run "
                                  "side by side)");
      }
    }
  }
  for (const Manifest& m : base.manifests) {
    if (!working_keys.count(m.id.key())) {
      canary.left_out.push_back(m.id.display() + " was removed: the canary keeps it");
    }
  }
  if (candidates.empty()) {
    throw Error(ErrorKind::kInvalidInput, "nothing to canary: no Deployment of the base changed",
                {},
                "a canary runs a changed Deployment beside the current one; for other changes use "
                "kix preview or kix deploy");
  }

  Builder all;  // the base, then the additions
  for (size_t i = 0; i < base.manifests.size(); ++i) {
    all.manifests.push_back(base.manifests[i]);
    all.index[base.manifests[i].id.key()] = i;
  }
  all.refs = base.refs;
  all.reasons = base.ref_reasons;
  all.reasons.resize(all.refs.size());
  for (size_t i = 0; i < all.refs.size(); ++i) all.reasons[i].resize(all.refs[i].size());
  const size_t first_addition = all.manifests.size();

  for (size_t k : candidates) {
    const Manifest& next = working.manifests[k];
    const Manifest& current = base.manifests[base_index.at(next.id.key())];
    std::vector<std::pair<size_t, std::string>> to;
    for (size_t r = 0; r < working.refs[k].size(); ++r) {
      const Manifest& target = working.manifests[working.refs[k][r]];
      if (differs.count(target.id.key())) {
        throw Error(ErrorKind::kInvalidInput,
                    next.id.display() + " uses " + target.id.display() +
                        ", which is new or changed too: a canary beside the current version "
                        "would run against the base's " +
                        target.id.kind,
                    {},
                    "deploy that change (kix deploy) or try it in a preview (kix preview); a "
                    "canary carries a Deployment's own changes, such as a new image");
      }
      const std::string why = r < working.ref_reasons[k].size() ? working.ref_reasons[k][r] : "";
      to.emplace_back(all.index.at(target.id.key()), why);
    }

    CanaryWorkload w;
    w.base = current.id;
    w.hash = working.nodes[k].hex().substr(0, kCanaryHashLength);
    const Json* base_replicas = at(current.value, {"spec", "replicas"});
    w.base_replicas = base_replicas != nullptr && base_replicas->is_number_integer()
                          ? base_replicas->get<int>()
                          : 1;
    const Json pod_labels =
        object_or_empty(at(current.value, {"spec", "template", "metadata", "labels"}));
    std::vector<size_t> services;
    for (size_t i = 0; i < base.manifests.size(); ++i) {
      const Manifest& s = base.manifests[i];
      if (s.id.group().empty() && s.id.kind == "Service" && s.id.ns == current.id.ns) {
        const Json* selector = at(s.value, {"spec", "selector"});
        if (selector != nullptr && selects(*selector, pod_labels)) {
          services.push_back(i);
          w.services.push_back(s.id);
        }
      }
    }

    Json copy = next.value;
    copy["metadata"]["name"] = current.id.name + "-" + w.hash;
    mark(copy, w.hash, current.id.name);
    Json match = object_or_empty(at(current.value, {"spec", "selector", "matchLabels"}));
    Json labels = object_or_empty(at(next.value, {"spec", "template", "metadata", "labels"}));
    std::map<std::string, std::string> split;  // label -> canary value (weight)
    if (options.weight) {
      if (services.empty()) {
        throw Error(ErrorKind::kInvalidInput,
                    "no Service selects the pods of " + current.id.display() +
                        ": there is no traffic to split",
                    {}, "use --replicas, or give the workload a Service");
      }
      for (size_t i : services) {
        const Json& selector = base.manifests[i].value["spec"]["selector"];
        std::string key = split_key(selector);
        split[key] = selector[key].get<std::string>() + "-canary";
      }
    }
    for (const auto& [key, value] : split) {
      labels[key] = value;
      if (match.contains(key)) match[key] = value;
    }
    labels[kCanaryLabel] = w.hash;
    match[kCanaryLabel] = w.hash;
    copy["spec"]["selector"]["matchLabels"] = match;
    copy["spec"]["template"]["metadata"]["labels"] = labels;
    w.replicas = options.replicas ? *options.replicas : w.base_replicas;
    copy["spec"]["replicas"] = w.replicas;
    const size_t copy_index = all.add(std::move(copy), std::move(to));
    w.copy = all.manifests[copy_index].id;

    if (options.weight) {
      const size_t ns_index = all.index.at(namespace_key(current.id.ns));
      for (size_t i : services) {
        const Manifest& svc = base.manifests[i];
        Json twin = svc.value;
        twin["metadata"]["name"] = svc.id.name + "-" + w.hash;
        mark(twin, w.hash, svc.id.name);
        Json selector = twin["spec"]["selector"];
        for (const auto& [key, value] : split) {
          if (selector.contains(key)) selector[key] = value;
        }
        selector[kCanaryLabel] = w.hash;
        twin["spec"]["selector"] = selector;
        for (const char* assigned : {"clusterIP", "clusterIPs"}) twin["spec"].erase(assigned);
        const size_t twin_index =
            all.add(std::move(twin), {{ns_index, "namespace"}, {copy_index, "spec.selector"}});
        const Json* ports = at(svc.value, {"spec", "ports"});
        if (ports == nullptr || !ports->is_array() || ports->empty()) {
          throw Error(ErrorKind::kInvalidInput, svc.id.display() + " has no ports to route to", {},
                      "use --replicas");
        }
        const Json port = (*ports)[0].value("port", Json(80));
        Json parent{{"name", options.gateway}};
        if (!options.gateway_namespace.empty()) parent["namespace"] = options.gateway_namespace;
        Json route{
            {"apiVersion", "gateway.networking.k8s.io/v1"},
            {"kind", "HTTPRoute"},
            {"metadata", {{"name", svc.id.name + "-" + w.hash}, {"namespace", svc.id.ns}}},
            {"spec",
             {{"parentRefs", Json::array({parent})},
              {"rules",
               Json::array({{{"backendRefs", Json::array({{{"name", svc.id.name},
                                                           {"port", port},
                                                           {"weight", 100 - *options.weight}},
                                                          {{"name", svc.id.name + "-" + w.hash},
                                                           {"port", port},
                                                           {"weight", *options.weight}}})}}})}}}};
        if (!options.hostnames.empty()) route["spec"]["hostnames"] = options.hostnames;
        mark(route, w.hash, svc.id.name);
        all.add(std::move(route), {{ns_index, "namespace"},
                                   {i, "spec.rules[0].backendRefs[0]"},
                                   {twin_index, "spec.rules[0].backendRefs[1]"}});
      }
    }
    canary.workloads.push_back(std::move(w));
  }

  // The additions alone, with their edges among themselves.
  std::vector<Manifest> added(all.manifests.begin() + static_cast<ptrdiff_t>(first_addition),
                              all.manifests.end());
  std::vector<std::vector<size_t>> added_refs;
  std::vector<std::vector<std::string>> added_reasons;
  for (size_t i = first_addition; i < all.manifests.size(); ++i) {
    added_refs.emplace_back();
    added_reasons.emplace_back();
    for (size_t r = 0; r < all.refs[i].size(); ++r) {
      if (all.refs[i][r] < first_addition) continue;
      added_refs.back().push_back(all.refs[i][r] - first_addition);
      added_reasons.back().push_back(all.reasons[i][r]);
    }
  }
  canary.additions = build_graph(std::move(added), std::move(added_refs), std::move(added_reasons));
  canary.graph = build_graph(std::move(all.manifests), std::move(all.refs), std::move(all.reasons));
  return canary;
}

std::vector<size_t> canary_resources(const Graph& graph) {
  std::vector<size_t> found;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (at(graph.manifests[i].value, {"metadata", "labels", kCanaryLabel}) != nullptr) {
      found.push_back(i);
    }
  }
  return found;
}

Graph without(const Graph& graph, const std::vector<size_t>& drop) {
  std::set<size_t> dropped(drop.begin(), drop.end());
  std::vector<std::optional<size_t>> renumbered(graph.manifests.size());
  std::vector<Manifest> manifests;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (dropped.count(i)) continue;
    renumbered[i] = manifests.size();
    manifests.push_back(graph.manifests[i]);
  }
  std::vector<std::vector<size_t>> refs;
  std::vector<std::vector<std::string>> reasons;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    if (!renumbered[i]) continue;
    refs.emplace_back();
    reasons.emplace_back();
    for (size_t r = 0; r < graph.refs[i].size(); ++r) {
      if (!renumbered[graph.refs[i][r]]) continue;
      refs.back().push_back(*renumbered[graph.refs[i][r]]);
      reasons.back().push_back(r < graph.ref_reasons[i].size() ? graph.ref_reasons[i][r] : "");
    }
  }
  return build_graph(std::move(manifests), std::move(refs), std::move(reasons));
}

}  // namespace kix::compiler
