#include "store/export_request.h"

#include "store/ref.h"
#include "util/error.h"

namespace kix {

ExportRequest export_request(Store& store, const std::vector<std::string>& refs,
                             const HistoryChoice& choice) {
  if (choice.last && *choice.last < 1) {
    throw Error(ErrorKind::kInvalidInput, "--history must be at least 1", {},
                "use --no-history to send no history");
  }
  ExportRequest request;
  request.pins = choice.pins;
  auto snapshot = store.snapshot();
  for (const std::string& ref : refs) {
    ResolvedRef r = resolve_ref(store, ref);
    (r.kind == ObjectKind::kRoot ? request.roots : request.nodes).push_back(r.hash);
    if (r.generation && !choice.none) {
      request.histories.push_back(
          HistoryRequest{r.generation->cluster, r.generation->number, choice.last});
    }
  }
  return request;
}

namespace {

std::string count(size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::string describe_history(const History& history) {
  std::string out;
  for (const ClusterHistory& h : history.clusters) {
    out += (out.empty() ? "" : "; ") + count(h.generations.size(), "generation") + " and " +
           count(h.deployments.size(), "deployment record") + " of " + h.cluster;
  }
  if (!history.pins.empty()) out += (out.empty() ? "" : "; ") + count(history.pins.size(), "pin");
  return out;
}

}  // namespace kix
