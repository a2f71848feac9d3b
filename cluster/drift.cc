#include "cluster/drift.h"

#include <algorithm>
#include <map>
#include <set>

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

void sort_report(DiffReport& report) {
  std::stable_sort(report.resources.begin(), report.resources.end(),
                   [](const ResourceDiff& a, const ResourceDiff& b) {
                     if (a.status != b.status) return a.status < b.status;
                     return a.id.key() < b.id.key();
                   });
}

// Pairs left and right resources and calls `compare(left_index, right_index)`
// for each pair; unmatched ones become kLeftOnly, and kRightOnly when
// `report_right_only` accepts them.
template <typename Compare, typename Filter>
DiffReport pair_up(const std::vector<Manifest>& left, const std::vector<Manifest>& right,
                   Compare compare, Filter report_right_only) {
  auto right_index = index_by_key(right);
  index_by_key(left);  // rejects duplicate identities on the left too
  std::vector<bool> right_matched(right.size(), false);
  DiffReport report;
  for (size_t i = 0; i < left.size(); ++i) {
    const size_t* match = find_match(left[i].id, right_index);
    if (!match) {
      report.resources.push_back({DiffStatus::kLeftOnly, left[i].id, {}, {}});
      continue;
    }
    right_matched[*match] = true;
    ResourceDiff diff = compare(i, *match);
    diff.id = left[i].id;
    report.resources.push_back(std::move(diff));
  }
  for (size_t j = 0; j < right.size(); ++j) {
    if (right_matched[j] || !report_right_only(right[j])) continue;
    report.resources.push_back({DiffStatus::kRightOnly, right[j].id, {}, {}});
  }
  sort_report(report);
  return report;
}

ResourceDiff content_diff(const Json& left, const Json& right) {
  ResourceDiff diff;
  diff.changes = diff_manifests(left, right);
  redact_secret_values(diff.changes);
  diff.status = diff.changes.empty() ? DiffStatus::kIdentical : DiffStatus::kModified;
  return diff;
}

}  // namespace

size_t DiffReport::count(DiffStatus status) const {
  return static_cast<size_t>(
      std::count_if(resources.begin(), resources.end(),
                    [status](const ResourceDiff& r) { return r.status == status; }));
}

bool DiffReport::has_differences() const {
  return count(DiffStatus::kIdentical) != resources.size();
}

DiffReport diff_against_live(const std::vector<Manifest>& desired,
                             const std::vector<Manifest>& live) {
  return pair_up(
      desired, live,
      [&](size_t i, size_t j) {
        Json want = desired_as_stored(desired[i].value);
        Json have = desired_as_stored(strip_server_fields(live[j].value));
        Json projected = project_live(want, have);
        add_dropped_fields(projected, want, have, applied_fields(live[j].value, "kix"));
        return content_diff(want, projected);
      },
      [](const Manifest& live) { return !is_cluster_generated(live.value); });
}

DiffReport diff_builds(const Graph& left, const Graph& right) {
  std::set<Hash> right_nodes(right.nodes.begin(), right.nodes.end());
  return pair_up(
      left.manifests, right.manifests,
      [&](size_t i, size_t j) {
        if (left.manifests[i].blob != right.manifests[j].blob) {
          return content_diff(left.manifests[i].value, right.manifests[j].value);
        }
        ResourceDiff diff;
        if (left.nodes[i] == right.nodes[j]) return diff;
        diff.status = DiffStatus::kDependencyChanged;
        // Name the references whose own node hash is not in the right build.
        for (size_t ref : left.refs[i]) {
          if (!right_nodes.count(left.nodes[ref]))
            diff.dependencies.push_back(left.manifests[ref].id.display());
        }
        return diff;
      },
      [](const Manifest&) { return true; });
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

const char* diff_status_name(DiffStatus status) {
  switch (status) {
    case DiffStatus::kModified:
      return "modified";
    case DiffStatus::kDependencyChanged:
      return "dependency-changed";
    case DiffStatus::kLeftOnly:
      return "left-only";
    case DiffStatus::kRightOnly:
      return "right-only";
    case DiffStatus::kIdentical:
      return "identical";
  }
  return "identical";
}

}  // namespace kix
