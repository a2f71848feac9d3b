#include "manifest/build_diff.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "manifest/immutable_fields.h"
#include "util/error.h"
#include "util/parallel_for.h"

namespace kix {

namespace {

using HashSet = std::unordered_set<Hash, HashHasher>;

std::map<std::string, size_t> index_by_key(const std::vector<const BuildEntry*>& entries,
                                           const char* side) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!index.emplace(entries[i]->id.key(), i).second) {
      throw Error(ErrorKind::kConflict,
                  "the " + std::string(side) + " side holds " + entries[i]->id.display() + " twice",
                  {}, "every resource (group, kind, namespace, name) may appear once in a build");
    }
  }
  return index;
}

// A graph as a BuildReader: manifests and references by node hash.
class GraphReader : public BuildReader {
 public:
  explicit GraphReader(const Graph& graph) : graph_(graph) {
    for (size_t i = 0; i < graph.nodes.size(); ++i) index_.emplace(graph.nodes[i], i);
  }
  Json manifest(const BuildEntry& e) override { return graph_.manifests[index_.at(e.node)].value; }
  std::vector<BuildEntry> references(const BuildEntry& e) override {
    std::vector<BuildEntry> out;
    for (size_t r : graph_.refs[index_.at(e.node)]) out.push_back(entry(r));
    return out;
  }
  BuildEntry entry(size_t i) const {
    return BuildEntry{graph_.nodes[i], graph_.manifests[i].blob, graph_.manifests[i].id};
  }

 private:
  const Graph& graph_;
  std::unordered_map<Hash, size_t, HashHasher> index_;
};

}  // namespace

size_t DiffReport::count(DiffStatus status) const {
  if (status == DiffStatus::kIdentical) return identical;
  return static_cast<size_t>(
      std::count_if(resources.begin(), resources.end(),
                    [status](const ResourceDiff& r) { return r.status == status; }));
}

size_t DiffReport::replacements() const {
  return static_cast<size_t>(
      std::count_if(resources.begin(), resources.end(),
                    [](const ResourceDiff& r) { return !r.requires_replace.empty(); }));
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

void sort_report(DiffReport& report) {
  std::stable_sort(report.resources.begin(), report.resources.end(),
                   [](const ResourceDiff& a, const ResourceDiff& b) {
                     if (a.status != b.status) return a.status < b.status;
                     return a.id.key() < b.id.key();
                   });
  std::stable_sort(
      report.foreign_elements.begin(), report.foreign_elements.end(),
      [](const ForeignElement& a, const ForeignElement& b) { return a.id.key() < b.id.key(); });
}

ResourceDiff content_diff(const Json& left, const Json& right) {
  ResourceDiff diff;
  diff.changes = diff_manifests(left, right);
  diff.requires_replace = immutable_changes(left, right, diff.changes);
  redact_secret_values(diff.changes);
  diff.status = diff.changes.empty() ? DiffStatus::kIdentical : DiffStatus::kModified;
  return diff;
}

DiffReport diff_build_entries(const std::vector<BuildEntry>& left,
                              const std::vector<BuildEntry>& right, BuildReader& left_reader,
                              BuildReader& right_reader) {
  HashSet right_nodes;
  for (const BuildEntry& e : right) right_nodes.insert(e.node);
  HashSet left_nodes;
  for (const BuildEntry& e : left) left_nodes.insert(e.node);
  size_t shared = 0;
  std::vector<BuildEntry> only_left, only_right;
  for (const BuildEntry& e : left) {
    if (right_nodes.count(e.node)) {
      ++shared;
    } else {
      only_left.push_back(e);
    }
  }
  for (const BuildEntry& e : right) {
    if (!left_nodes.count(e.node)) only_right.push_back(e);
  }
  return diff_changed_entries(
      only_left, only_right, shared, [&](const Hash& h) { return right_nodes.count(h) > 0; },
      left_reader, right_reader);
}

DiffReport diff_changed_entries(const std::vector<BuildEntry>& only_left_entries,
                                const std::vector<BuildEntry>& only_right_entries, size_t shared,
                                const std::function<bool(const Hash&)>& right_has,
                                BuildReader& left_reader, BuildReader& right_reader) {
  DiffReport report;
  report.identical = shared;
  std::vector<const BuildEntry*> only_left, only_right;
  for (const BuildEntry& e : only_left_entries) only_left.push_back(&e);
  for (const BuildEntry& e : only_right_entries) only_right.push_back(&e);
  auto right_index = index_by_key(only_right, "right");
  index_by_key(only_left, "left");
  std::vector<bool> matched(only_right.size(), false);
  // Modified pairs are compared after the pairing, a chunk at a time: each
  // chunk's manifests are read here, then parsed and compared on every
  // core. Chunks bound what is held at once.
  struct Modified {
    const BuildEntry* left;
    std::function<Json()> left_manifest, right_manifest;
    ResourceDiff diff;
  };
  constexpr size_t kChunk = 256;
  std::vector<Modified> modified;
  auto compare_modified = [&] {
    parallel_for(modified.size(), default_parallelism(), [&](size_t i) {
      modified[i].diff = content_diff(modified[i].left_manifest(), modified[i].right_manifest());
    });
    for (Modified& m : modified) {
      m.diff.id = m.left->id;
      if (m.diff.status == DiffStatus::kIdentical) {
        ++report.identical;  // equal content under another node hash: not a difference
      } else {
        report.resources.push_back(std::move(m.diff));
      }
    }
    modified.clear();
  };
  for (const BuildEntry* l : only_left) {
    auto it = right_index.find(l->id.key());
    if (it == right_index.end() && l->id.ns.empty()) {
      ResourceId in_default = l->id;
      in_default.ns = "default";
      it = right_index.find(in_default.key());
    }
    if (it == right_index.end()) {
      report.resources.push_back({DiffStatus::kLeftOnly, l->id, {}, {}, {}, {}});
      continue;
    }
    matched[it->second] = true;
    const BuildEntry* r = only_right[it->second];
    if (l->blob != r->blob) {
      modified.push_back({l, left_reader.manifest_later(*l), right_reader.manifest_later(*r), {}});
      if (modified.size() == kChunk) compare_modified();
      continue;
    }
    ResourceDiff diff;
    diff.status = DiffStatus::kDependencyChanged;
    for (const BuildEntry& ref : left_reader.references(*l)) {
      if (!right_has(ref.node)) diff.dependencies.push_back(ref.id.display());
    }
    std::sort(diff.dependencies.begin(), diff.dependencies.end());
    diff.id = l->id;
    report.resources.push_back(std::move(diff));
  }
  compare_modified();
  for (size_t j = 0; j < only_right.size(); ++j) {
    if (!matched[j])
      report.resources.push_back({DiffStatus::kRightOnly, only_right[j]->id, {}, {}, {}, {}});
  }
  sort_report(report);
  return report;
}

DiffReport diff_builds(const Graph& left, const Graph& right) {
  GraphReader left_reader(left), right_reader(right);
  std::vector<BuildEntry> l, r;
  for (size_t i = 0; i < left.manifests.size(); ++i) l.push_back(left_reader.entry(i));
  for (size_t i = 0; i < right.manifests.size(); ++i) r.push_back(right_reader.entry(i));
  return diff_build_entries(l, r, left_reader, right_reader);
}

}  // namespace kix
