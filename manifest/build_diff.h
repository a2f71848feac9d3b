// Comparing two sets of resources (docs/commands/diff.md): one model for every "what
// differs" question kix answers, whether the right side is another build
// (kix diff --against, kix store diff) or the live cluster (cluster/drift.h),
// and one place that decides how two builds pair up.
//
// Resources are matched by identity (ResourceId::key: group, kind,
// namespace, name; the API version does not matter). The left side is
// always the one kix would apply (the new build, the desired state);
// FieldChange::before holds the left value and FieldChange::after the right
// one. Secret values never leave this module: changes under a Secret's
// values carry kRedactedValue instead (manifest/secrets.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "manifest/json_diff.h"
#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "util/hash.h"

namespace kix {

enum class DiffStatus {
  kModified,           // the content differs (changes lists how)
  kDependencyChanged,  // builds only: same manifest, but something it references changed
  kLeftOnly,           // only the left side has it: it will be created
  kRightOnly,          // only the right side has it: not managed by the left build
  kIdentical,
};

struct ResourceDiff {
  DiffStatus status = DiffStatus::kIdentical;
  ResourceId id;                     // the left side's identity when it has one
  std::vector<FieldChange> changes;  // kModified only, secret values redacted
  // kDependencyChanged: the references that changed ("Kind/name @ ns").
  std::vector<std::string> dependencies;
  // Live diffs, kRightOnly: kix put it there and no longer wants it ("was in
  // generation 3 (root …)", "labelled app.kubernetes.io/managed-by: kix");
  // empty for an object kix never managed.
  std::string orphaned;
  // kModified: the paths of `changes` that an update cannot make
  // (manifest/immutable_fields.h): the object must be deleted and created
  // again.
  std::vector<std::string> requires_replace;
};

// Live diffs: a list element of a live object that another field manager
// added and kix does not own (cluster/field_owners.h). Server-side apply
// leaves it in place, so it is not a difference: it is listed apart.
struct ForeignElement {
  ResourceId id;     // the resource it is part of
  std::string path;  // where it is in the live object: "$.spec.ports[1]"
  Json key;          // its key fields ({"name": "log-shipper"}), or its value in a set
  std::vector<std::string> managers;  // the managers that own it, sorted
};

struct DiffReport {
  size_t identical = 0;  // resources equal on both sides: counted, not listed
  // Every resource that differs, ordered by status (in the enum's order),
  // then by identity.
  std::vector<ResourceDiff> resources;
  // Live diffs only: Secrets whose values could not be compared, because
  // the key that seals them is not here (Manifest::values_known); the rest
  // of each was compared.
  std::vector<ResourceId> unverified_secrets;
  // Live diffs only: list elements another field manager added, ordered by
  // identity, then in document order. They are not differences
  // (has_differences ignores them).
  std::vector<ForeignElement> foreign_elements;

  size_t count(DiffStatus status) const;
  bool has_differences() const { return !resources.empty(); }
  // The resources with requires_replace.
  size_t replacements() const;
};

// "modified", "dependency-changed", "left-only", "right-only", "identical".
const char* diff_status_name(DiffStatus status);

// One resource of a build, as the comparison sees it before reading it.
struct BuildEntry {
  Hash node;
  Hash blob;
  ResourceId id;
};

// Reads what the comparison needs beyond the entries; it is asked only
// about resources that differ, and only from the thread that called the
// comparison.
class BuildReader {
 public:
  virtual ~BuildReader() = default;
  virtual Json manifest(const BuildEntry& entry) = 0;
  // manifest() in two steps: what must run on the calling thread (reading)
  // now, and a function, safe to call once from any thread, that finishes
  // it (parsing), so that manifests are parsed and compared on every core.
  // The default does all of it now.
  virtual std::function<Json()> manifest_later(const BuildEntry& entry) {
    return [value = manifest(entry)]() mutable { return std::move(value); };
  }
  // The resources `entry` references.
  virtual std::vector<BuildEntry> references(const BuildEntry& entry) = 0;
};

// Two builds: `left` (new) against `right` (base). Entries with the same
// node hash on both sides are identical (counted, never read); the others
// are paired by identity (a left resource without a namespace also pairs
// with one in "default"): a different blob is kModified, the same blob
// kDependencyChanged, naming the references whose node hash the right side
// lacks; unpaired ones are kLeftOnly and kRightOnly. Throws kConflict when
// one side holds an identity twice.
DiffReport diff_build_entries(const std::vector<BuildEntry>& left,
                              const std::vector<BuildEntry>& right, BuildReader& left_reader,
                              BuildReader& right_reader);

// The same, given only what differs by node hash: the entries only the left
// and only the right side holds, how many nodes both hold, and whether the
// right side holds a node. A store diffs two roots this way without
// loading the nodes they share.
DiffReport diff_changed_entries(const std::vector<BuildEntry>& only_left,
                                const std::vector<BuildEntry>& only_right, size_t shared,
                                const std::function<bool(const Hash&)>& right_has,
                                BuildReader& left_reader, BuildReader& right_reader);

// diff_build_entries of two graphs in memory.
DiffReport diff_builds(const Graph& left, const Graph& right);

// Sorts `report.resources` and `report.foreign_elements` as DiffReport
// documents.
void sort_report(DiffReport& report);

// Field changes of two manifests as a resource diff (kIdentical when none),
// secret values redacted.
ResourceDiff content_diff(const Json& left, const Json& right);

}  // namespace kix
