// What `kix store export` and `kix store push` send: roots and nodes, the
// histories of clusters (their generations' roots travel with them), and
// whether the pins of what travels go too (docs/store.md, "History that
// travels").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/history.h"
#include "store/store.h"

namespace kix {

struct ExportRequest {
  std::vector<Hash> roots;
  std::vector<Hash> nodes;
  std::vector<HistoryRequest> histories;
  bool pins = false;
};

// How REFs choose a history.
struct HistoryChoice {
  bool none = false;            // --no-history: objects only
  std::optional<int64_t> last;  // --history N: the newest N generations
  bool pins = false;            // --pins
};

// The request for `refs` (store/ref.h): a hash or prefix sends that root or
// node; NAME sends the cluster's history up to its current generation and
// NAME@N up to generation N (each with its root), unless `choice.none`.
// Throws what resolve_ref throws, and kInvalidInput for a `last` below 1.
ExportRequest export_request(Store& store, const std::vector<std::string>& refs,
                             const HistoryChoice& choice);

// "2 generations and 1 deployment record of my-homelab, 1 pin": what a
// history holds, for messages ("" when empty).
std::string describe_history(const History& history);

}  // namespace kix
