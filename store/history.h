// Cluster histories that travel with a closure (`kix store export/import`,
// `kix store push/pull`; docs/store.md, "History that travels").
//
// A History is what a closure carries besides its objects: for each
// cluster, generations (number, root, time, message, source revision) and
// deployment records, plus the pins the user chose to carry. Every root a
// history names is a root of the closure that carries it (check_history).
//
// Importing merges a carried history into a store's own: the union by
// identity. A generation is identified by (cluster, number): the same
// number with the same root, time, message and source revision is the same
// generation; the same number with anything else is a conflict, reported
// with both entries, and nothing is imported. A deployment record is
// identified by all its fields; a pin by its hash (the older time wins).
// plan_history_merge decides this once for every Store implementation,
// from reads made inside the import's write transaction.
//
// Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"
#include "store/store.h"

namespace kix {

struct ClusterHistory {
  std::string cluster;
  std::vector<Generation> generations;  // ascending number
  std::vector<Deployment> deployments;  // oldest first (time, then as recorded)

  bool operator==(const ClusterHistory&) const = default;
};

struct History {
  std::vector<ClusterHistory> clusters;  // ascending name, each once
  std::vector<Pin> pins;                 // ascending hash

  bool empty() const { return clusters.empty() && pins.empty(); }
  bool operator==(const History&) const = default;
};

// Which history of a cluster to carry: its generations up to `up_to`
// (inclusive; the current one when unset), the newest `last` of them when
// set, and the deployment records of the roots they carry.
struct HistoryRequest {
  std::string cluster;
  std::optional<int64_t> up_to;
  std::optional<int64_t> last;
};

// Reads the histories asked for from `store` (in the caller's snapshot).
// With `pins`, also the pins of `carried_roots` and `carried_nodes`. Throws
// kNotFound for a cluster without generations or a generation `up_to` that
// does not exist.
History read_history(Store& store, const std::vector<HistoryRequest>& requests, bool pins,
                     const std::set<Hash>& carried_roots, const std::set<Hash>& carried_nodes);

// The roots a history needs carried: its generations' and deployments'
// roots and its root pins.
std::set<Hash> history_roots(const History& history);

// Checks a history against the closure carrying it: valid cluster names,
// each cluster once, generation numbers >= 1 and unique, every generation's
// and deployment's root among `roots`, a deployment's generation (when set)
// a carried generation of that cluster with that root, every pin a carried
// root or node, times >= 0. Returns the history sorted as documented above.
// Throws kInvalidInput naming the first problem, with `source` as context.
History check_history(History history, const std::set<Hash>& roots, const std::set<Hash>& nodes,
                      const std::string& source);

// The same history with every cluster renamed to `name` (`--as NAME`).
// Throws kInvalidInput when it carries more than one cluster or `name` is
// not a valid cluster name.
History rename_history(History history, const std::string& name);

// The JSON form archives and OCI artifacts carry (docs/store.md, "History
// that travels"):
//   {"clusters":[{"cluster":..,"generations":[{"number":..,"root":hex,
//     "time":..,"message":..,"sourceRevision":..}],"deployments":[{"root":hex,
//     "time":..,"context":..,"generation":N|null}]}],"pins":[{"hash":hex,
//     "kind":"root"|"node","time":..}]}
// history_from_json checks only the shape (kInvalidInput naming the field);
// check_history checks the rest.
Json history_to_json(const History& history);
History history_from_json(const Json& json);

// What an import adds to a store's history.
struct HistoryMerge {
  std::vector<Generation> generations;
  std::vector<Deployment> deployments;
  std::vector<Pin> pins;
};

// The entries of `carried` that `store` lacks. Throws kConflict when a
// carried generation has a number the store uses for another generation of
// the same cluster, naming both; the hint names `--as`.
HistoryMerge plan_history_merge(Store& store, const History& carried);

}  // namespace kix
