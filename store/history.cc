#include "store/history.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "manifest/cluster_name.h"
#include "store/json_fields.h"
#include "util/clock.h"
#include "util/error.h"

namespace kix {

namespace {

bool deployment_less(const Deployment& a, const Deployment& b) {
  auto waves = [](const Deployment& d) {
    return d.partial ? std::pair{d.partial->waves_applied, d.partial->waves_total}
                     : std::pair<int64_t, int64_t>{-1, -1};
  };
  return std::tuple(a.time, a.root, a.context, a.generation, waves(a)) <
         std::tuple(b.time, b.root, b.context, b.generation, waves(b));
}

std::string describe(const Generation& g) {
  return "root " + g.root.hex().substr(0, 12) + ", " + format_utc_time(g.time) +
         (g.message.empty() ? "" : ", \"" + g.message + "\"") +
         (g.source_revision.empty() ? "" : ", revision " + g.source_revision);
}

// Field access for history_from_json: every problem is "malformed history".
const JsonFields& fields() {
  static const JsonFields f([](const std::string& what) {
    return Error(ErrorKind::kInvalidInput, "malformed history: " + what, {},
                 "the data is damaged or was not written by kix; nothing was stored");
  });
  return f;
}

}  // namespace

Json history_to_json(const History& history) {
  Json clusters = Json::array();
  for (const ClusterHistory& h : history.clusters) {
    Json generations = Json::array(), deployments = Json::array();
    for (const Generation& g : h.generations) {
      generations.push_back({{"number", g.number},
                             {"root", g.root.hex()},
                             {"time", g.time},
                             {"message", g.message},
                             {"sourceRevision", g.source_revision}});
    }
    for (const Deployment& d : h.deployments) {
      Json record{{"root", d.root.hex()},
                  {"time", d.time},
                  {"context", d.context},
                  {"generation", d.generation ? Json(*d.generation) : Json(nullptr)}};
      if (d.partial) {
        record["partial"] = {{"wavesApplied", d.partial->waves_applied},
                             {"wavesTotal", d.partial->waves_total}};
      }
      deployments.push_back(std::move(record));
    }
    clusters.push_back(
        {{"cluster", h.cluster}, {"generations", generations}, {"deployments", deployments}});
  }
  Json pins = Json::array();
  for (const Pin& p : history.pins) {
    pins.push_back({{"hash", p.hash.hex()}, {"kind", object_kind_name(p.kind)}, {"time", p.time}});
  }
  return {{"clusters", clusters}, {"pins", pins}};
}

History history_from_json(const Json& json) {
  const JsonFields& f = fields();
  History out;
  for (const Json& c : f.list(json, "clusters")) {
    ClusterHistory h;
    h.cluster = f.text(c, "cluster");
    for (const Json& g : f.list(c, "generations")) {
      h.generations.push_back(Generation{h.cluster, f.integer(g, "number"), f.hash(g, "root"),
                                         f.integer(g, "time"), f.text(g, "message"),
                                         f.text(g, "sourceRevision")});
    }
    for (const Json& d : f.list(c, "deployments")) {
      Deployment record{
          h.cluster, f.hash(d, "root"), f.integer(d, "time"), f.text(d, "context"), {}, {}};
      if (!f.member(d, "generation").is_null()) record.generation = f.integer(d, "generation");
      if (d.contains("partial")) {  // absent: every wave (and every kix before 0.3)
        const Json& p = d["partial"];
        record.partial =
            Deployment::Partial{f.integer(p, "wavesApplied"), f.integer(p, "wavesTotal")};
        if (record.partial->waves_applied < 0 ||
            record.partial->waves_applied > record.partial->waves_total) {
          f.fail("a partial deployment applied more waves than it had");
        }
      }
      h.deployments.push_back(std::move(record));
    }
    out.clusters.push_back(std::move(h));
  }
  for (const Json& p : f.list(json, "pins")) {
    std::string kind = f.text(p, "kind");
    if (kind != "root" && kind != "node") f.fail("a pin's kind must be root or node");
    out.pins.push_back(Pin{f.hash(p, "hash"),
                           kind == "node" ? ObjectKind::kNode : ObjectKind::kRoot,
                           f.integer(p, "time")});
  }
  return out;
}

History read_history(Store& store, const std::vector<HistoryRequest>& requests, bool pins,
                     const std::set<Hash>& carried_roots, const std::set<Hash>& carried_nodes) {
  History out;
  std::map<std::string, ClusterHistory> by_name;
  for (const HistoryRequest& request : requests) {
    std::vector<Generation> all = store.generations(request.cluster);
    if (all.empty()) {
      throw Error(ErrorKind::kNotFound, "no cluster named '" + request.cluster + "' in the store",
                  {}, "`kix store log` lists the clusters and their generations");
    }
    int64_t up_to = request.up_to.value_or(all.back().number);
    if (request.up_to && std::none_of(all.begin(), all.end(), [&](const Generation& g) {
          return g.number == *request.up_to;
        })) {
      throw Error(ErrorKind::kNotFound,
                  "cluster '" + request.cluster + "' has no generation " + std::to_string(up_to));
    }
    std::erase_if(all, [&](const Generation& g) { return g.number > up_to; });
    if (request.last && static_cast<int64_t>(all.size()) > *request.last) {
      all.erase(all.begin(), all.end() - *request.last);
    }
    ClusterHistory& h = by_name[request.cluster];
    h.cluster = request.cluster;
    for (Generation& g : all) h.generations.push_back(std::move(g));
  }
  for (auto& [name, h] : by_name) {
    std::sort(h.generations.begin(), h.generations.end(),
              [](const Generation& a, const Generation& b) { return a.number < b.number; });
    h.generations.erase(std::unique(h.generations.begin(), h.generations.end()),
                        h.generations.end());
    std::set<Hash> roots;
    for (const Generation& g : h.generations) roots.insert(g.root);
    // The records of the carried generations' roots: the record of a root
    // that does not travel would name nothing at the other end.
    for (Deployment& d : store.deployments(name)) {
      if (!roots.count(d.root)) continue;
      if (d.generation &&
          std::none_of(h.generations.begin(), h.generations.end(), [&](const Generation& g) {
            return g.number == *d.generation && g.root == d.root;
          })) {
        d.generation.reset();
      }
      h.deployments.push_back(std::move(d));
    }
    std::stable_sort(h.deployments.begin(), h.deployments.end(),
                     [](const Deployment& a, const Deployment& b) { return a.time < b.time; });
    out.clusters.push_back(std::move(h));
  }
  if (pins) {
    std::set<Hash> roots = carried_roots;
    for (const Hash& r : history_roots(out)) roots.insert(r);
    for (const Pin& p : store.pins()) {
      if ((p.kind == ObjectKind::kRoot && roots.count(p.hash)) ||
          (p.kind == ObjectKind::kNode && carried_nodes.count(p.hash))) {
        out.pins.push_back(p);
      }
    }
  }
  return out;
}

std::set<Hash> history_roots(const History& history) {
  std::set<Hash> roots;
  for (const ClusterHistory& h : history.clusters) {
    for (const Generation& g : h.generations) roots.insert(g.root);
    for (const Deployment& d : h.deployments) roots.insert(d.root);
  }
  for (const Pin& p : history.pins) {
    if (p.kind == ObjectKind::kRoot) roots.insert(p.hash);
  }
  return roots;
}

History check_history(History history, const std::set<Hash>& roots, const std::set<Hash>& nodes,
                      const std::string& source) {
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::kInvalidInput, source + ": " + what, {},
                 "the data is damaged or was not written by kix; nothing was stored");
  };
  std::sort(history.clusters.begin(), history.clusters.end(),
            [](const ClusterHistory& a, const ClusterHistory& b) { return a.cluster < b.cluster; });
  for (size_t i = 0; i < history.clusters.size(); ++i) {
    ClusterHistory& h = history.clusters[i];
    try {
      check_cluster_name(h.cluster);
    } catch (const Error& e) {
      throw bad("the history of '" + h.cluster + "': " + e.message());
    }
    if (i > 0 && history.clusters[i - 1].cluster == h.cluster) {
      throw bad("two histories of cluster '" + h.cluster + "'");
    }
    std::sort(h.generations.begin(), h.generations.end(),
              [](const Generation& a, const Generation& b) { return a.number < b.number; });
    for (size_t k = 0; k < h.generations.size(); ++k) {
      Generation& g = h.generations[k];
      const std::string name = "generation " + std::to_string(g.number) + " of '" + h.cluster + "'";
      if (g.number < 1) throw bad(name + " is not numbered from 1");
      if (k > 0 && h.generations[k - 1].number == g.number) throw bad(name + " is listed twice");
      if (g.time < 0) throw bad(name + " has a negative time");
      if (!roots.count(g.root)) throw bad(name + " names root " + g.root.hex() + ", not carried");
      g.cluster = h.cluster;
    }
    for (Deployment& d : h.deployments) {
      const std::string name = "a deployment record of '" + h.cluster + "'";
      if (d.time < 0) throw bad(name + " has a negative time");
      if (!roots.count(d.root)) throw bad(name + " names root " + d.root.hex() + ", not carried");
      if (d.generation &&
          std::none_of(h.generations.begin(), h.generations.end(), [&](const Generation& g) {
            return g.number == *d.generation && g.root == d.root;
          })) {
        throw bad(name + " names generation " + std::to_string(*d.generation) +
                  ", which is not a carried generation with its root");
      }
      d.cluster = h.cluster;
    }
    std::stable_sort(h.deployments.begin(), h.deployments.end(),
                     [](const Deployment& a, const Deployment& b) { return a.time < b.time; });
  }
  std::sort(history.pins.begin(), history.pins.end(),
            [](const Pin& a, const Pin& b) { return a.hash < b.hash; });
  for (size_t i = 0; i < history.pins.size(); ++i) {
    const Pin& p = history.pins[i];
    if (i > 0 && history.pins[i - 1].hash == p.hash) throw bad("pin " + p.hash.hex() + " twice");
    if (p.time < 0) throw bad("pin " + p.hash.hex() + " has a negative time");
    const bool carried = p.kind == ObjectKind::kRoot ? roots.count(p.hash) : nodes.count(p.hash);
    if (!carried) {
      throw bad("pin of " + std::string(object_kind_name(p.kind)) + " " + p.hash.hex() +
                ", which is not carried");
    }
  }
  return history;
}

History rename_history(History history, const std::string& name) {
  check_cluster_name(name);
  if (history.clusters.size() > 1) {
    throw Error(ErrorKind::kInvalidInput,
                "--as renames one cluster's history, and this carries " +
                    std::to_string(history.clusters.size()),
                {}, "import it without --as");
  }
  for (ClusterHistory& h : history.clusters) {
    h.cluster = name;
    for (Generation& g : h.generations) g.cluster = name;
    for (Deployment& d : h.deployments) d.cluster = name;
  }
  return history;
}

HistoryMerge plan_history_merge(Store& store, const History& carried) {
  HistoryMerge merge;
  for (const ClusterHistory& h : carried.clusters) {
    std::map<int64_t, Generation> have;
    for (Generation& g : store.generations(h.cluster)) have.emplace(g.number, std::move(g));
    for (const Generation& g : h.generations) {
      auto it = have.find(g.number);
      if (it == have.end()) {
        merge.generations.push_back(g);
        continue;
      }
      const Generation& mine = it->second;
      if (mine.root == g.root && mine.time == g.time && mine.message == g.message &&
          mine.source_revision == g.source_revision) {
        continue;
      }
      throw Error(ErrorKind::kConflict,
                  "generation " + std::to_string(g.number) + " of cluster '" + h.cluster +
                      "' differs: this store has " + describe(mine) + "; the one coming in has " +
                      describe(g),
                  {},
                  "the two histories grew apart; bring this one in under another name with "
                  "`--as NAME`, then compare with `kix store diff`");
    }
    std::vector<Deployment> mine = store.deployments(h.cluster);
    std::sort(mine.begin(), mine.end(), deployment_less);
    for (const Deployment& d : h.deployments) {
      if (!std::binary_search(mine.begin(), mine.end(), d, deployment_less)) {
        merge.deployments.push_back(d);
      }
    }
  }
  std::map<Hash, Pin> pinned;
  for (Pin& p : store.pins()) pinned.emplace(p.hash, std::move(p));
  for (const Pin& p : carried.pins) {
    if (!pinned.count(p.hash)) merge.pins.push_back(p);
  }
  return merge;
}

}  // namespace kix
