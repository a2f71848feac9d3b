#include "cluster/drift.h"

#include <algorithm>
#include <map>

#include "cluster/live_normalize.h"
#include "util/error.h"

namespace kix {
namespace {

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

}  // namespace

DiffReport diff_against_live(const std::vector<Manifest>& desired,
                             const std::vector<Manifest>& live) {
  auto live_index = index_by_key(live);
  index_by_key(desired);  // rejects duplicate identities on kix's side too
  std::vector<bool> matched(live.size(), false);
  DiffReport report;
  for (const Manifest& d : desired) {
    const size_t* match = find_match(d.id, live_index);
    if (!match) {
      report.resources.push_back({DiffStatus::kLeftOnly, d.id, {}, {}});
      continue;
    }
    matched[*match] = true;
    const Json& have_raw = live[*match].value;
    Json want = desired_as_stored(d.value);
    Json have = desired_as_stored(strip_server_fields(have_raw));
    Json projected = project_live(want, have);
    add_dropped_fields(projected, want, have, applied_fields(have_raw, "kix"));
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
    report.resources.push_back({DiffStatus::kRightOnly, live[j].id, {}, {}});
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

}  // namespace kix
