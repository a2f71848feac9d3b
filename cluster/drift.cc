#include "cluster/drift.h"

#include <algorithm>
#include <map>
#include <set>

#include "cluster/field_owners.h"
#include "cluster/live_normalize.h"
#include "manifest/secret_sources.h"
#include "manifest/secrets.h"
#include "util/error.h"

namespace kix {
namespace {

// The field manager kix applies as (kubectl apply --server-side
// --field-manager=kix, cluster/deploy.h).
constexpr const char* kFieldManager = "kix";

// Index of each manifest by identity key; duplicates are a kConflict.
std::map<std::string, size_t> index_by_key(const std::vector<Manifest>& manifests) {
  check_unique_identities(manifests);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < manifests.size(); ++i) index.emplace(manifests[i].id.key(), i);
  return index;
}

// The right-side manifest with `left`'s identity: an exact key match, else,
// for a resource written without a namespace, the one in "default".
const size_t* find_match(const ResourceId& left, const std::map<std::string, size_t>& right) {
  auto it = right.find(left.key());
  if (it == right.end() && left.ns.empty()) {
    ResourceId in_default = left;
    in_default.ns = "default";
    it = right.find(in_default.key());
  }
  return it == right.end() ? nullptr : &it->second;
}

Json without_secret_values(Json secret) {
  secret.erase("data");
  secret.erase("stringData");
  if (auto md = secret.find("metadata"); md != secret.end() && md->is_object()) {
    if (auto an = md->find("annotations"); an != md->end() && an->is_object()) {
      an->erase(kLastAppliedAnnotation);
      if (an->empty()) md->erase("annotations");
    }
  }
  return secret;
}

// A RequiredSecret or GeneratedSecret as the cluster has it: the same
// recipe with only the keys the live Secret has. So a Secret with every key
// is identical, a missing key shows as a removed entry, and no value of the
// live Secret is ever part of the comparison.
Json recipe_as_live(const Json& recipe, const Json& live_secret) {
  std::set<std::string> keys;
  for (const char* field : {"data", "stringData"}) {
    auto it = live_secret.find(field);
    if (it == live_secret.end() || !it->is_object()) continue;
    for (const auto& [key, value] : it->items()) keys.insert(key);
  }
  Json have = recipe;
  if (have.contains("keys") && have["keys"].is_array()) {
    Json present = Json::array();
    for (const Json& key : have["keys"]) {
      if (key.is_string() && keys.count(key.get<std::string>())) present.push_back(key);
    }
    have["keys"] = std::move(present);
  }
  if (have.contains("data") && have["data"].is_object()) {
    Json present = Json::object();
    for (const auto& [key, entry] : have["data"].items()) {
      if (keys.count(key)) present[key] = entry;
    }
    have["data"] = std::move(present);
  }
  return have;
}

}  // namespace

DiffReport diff_against_live(const std::vector<Manifest>& desired,
                             const std::vector<Manifest>& live) {
  auto live_index = index_by_key(live);
  index_by_key(desired);  // rejects duplicate identities on kix's side too
  std::vector<bool> matched(live.size(), false);
  DiffReport report;
  for (const Manifest& d : desired) {
    if (is_secret_source(d.id)) {
      ResourceId secret = {"v1", "Secret", d.id.ns, d.id.name};
      const size_t* match = find_match(secret, live_index);
      if (!match) {
        report.resources.push_back({DiffStatus::kLeftOnly, d.id, {}, {}, {}, {}});
        continue;
      }
      matched[*match] = true;
      ResourceDiff diff = content_diff(d.value, recipe_as_live(d.value, live[*match].value));
      diff.id = d.id;
      if (diff.status == DiffStatus::kIdentical) {
        ++report.identical;
      } else {
        report.resources.push_back(std::move(diff));
      }
      continue;
    }
    const size_t* match = find_match(d.id, live_index);
    if (!match) {
      report.resources.push_back({DiffStatus::kLeftOnly, d.id, {}, {}, {}, {}});
      continue;
    }
    matched[*match] = true;
    const Json& have_raw = live[*match].value;
    Json want = desired_as_stored(d.value);
    Json have = desired_as_stored(strip_server_fields(have_raw));
    if (!d.values_known) {
      // Sealed with a key that is not here: `want` holds HMACs, which no
      // live value equals. Compare everything else and say so.
      want = without_secret_values(want);
      have = without_secret_values(have);
      report.unverified_secrets.push_back(d.id);
    }
    for (ForeignElement& element : take_foreign_elements(want, have, have_raw, kFieldManager)) {
      element.id = d.id;
      report.foreign_elements.push_back(std::move(element));
    }
    Json projected = project_live(want, have);
    add_dropped_fields(projected, want, have, applied_fields(have_raw, kFieldManager));
    ResourceDiff diff = content_diff(want, projected);
    diff.id = d.id;
    if (diff.status == DiffStatus::kIdentical) {
      ++report.identical;
    } else {
      report.resources.push_back(std::move(diff));
    }
  }
  for (size_t j = 0; j < live.size(); ++j) {
    if (matched[j] || is_cluster_generated(live[j].value)) continue;
    report.resources.push_back({DiffStatus::kRightOnly, live[j].id, {}, {}, {}, {}});
  }
  sort_report(report);
  return report;
}

bool is_cluster_generated(const Json& live) {
  if (!live.is_object()) return false;
  const std::string kind = live.value("kind", "");
  if (kind == "Endpoints" || kind == "EndpointSlice" || kind == "Event") return true;
  const Json& metadata = live.value("metadata", Json::object());
  if (!metadata.is_object()) return false;
  const std::string name = metadata.value("name", "");
  if ((kind == "ConfigMap" && name == "kube-root-ca.crt") ||
      (kind == "ServiceAccount" && name == "default")) {
    return true;
  }
  if (kind == "Secret" && live.value("type", "") == "kubernetes.io/service-account-token") {
    return true;
  }
  auto owners = metadata.find("ownerReferences");
  if (owners == metadata.end() || !owners->is_array()) return false;
  return std::any_of(owners->begin(), owners->end(), [](const Json& owner) {
    return owner.is_object() && owner.value("controller", false);
  });
}

void mark_orphans(DiffReport& report, const std::vector<Manifest>& live,
                  const std::vector<DeployedBefore>& previous) {
  std::map<std::string, const Manifest*> live_by_key;
  for (const Manifest& m : live) live_by_key.emplace(m.id.key(), &m);
  for (ResourceDiff& r : report.resources) {
    if (r.status != DiffStatus::kRightOnly) continue;
    const std::string key = r.id.key();
    for (auto before = previous.rbegin(); before != previous.rend() && r.orphaned.empty();
         ++before) {
      for (const Manifest& m : before->graph.manifests) {
        if (m.id.key() == key) {
          r.orphaned = "was in " + before->label;
          break;
        }
      }
    }
    if (!r.orphaned.empty()) continue;
    auto it = live_by_key.find(key);
    if (it == live_by_key.end()) continue;
    const Json& value = it->second->value;
    const Json* labels = nullptr;
    if (value.contains("metadata") && value["metadata"].is_object() &&
        value["metadata"].contains("labels") && value["metadata"]["labels"].is_object()) {
      labels = &value["metadata"]["labels"];
    }
    if (labels != nullptr && labels->contains("app.kubernetes.io/managed-by") &&
        (*labels)["app.kubernetes.io/managed-by"] == "kix") {
      r.orphaned = "labelled app.kubernetes.io/managed-by: kix";
    }
  }
}

}  // namespace kix
