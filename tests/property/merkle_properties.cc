// build_graph (manifest/merkle.h) orders, trims and breaks the cycles of a
// graph's edges over one compressed list of edges. It must give exactly
// what the algorithm it replaced gave, kept here as the model (a vector of
// targets and one of reasons per resource, edited in place): the same node
// hashes, the same edges with the same reasons in the same order, and the
// same cycle warnings, for graphs with self edges, repeated edges and
// cycles, in any input order. Rows have at most 12 edges, where the
// original's std::sort (insertion sort up to 16 in libstdc++) kept ties in
// input order as the model's stable sort does.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "manifest/merkle.h"
#include "util/error.h"

namespace kix {
namespace {

struct ModelGraph {
  std::vector<std::vector<size_t>> refs;
  std::vector<std::vector<std::string>> reasons;
  std::vector<Hash> nodes;
  std::vector<std::string> warnings;
};

ModelGraph model(const std::vector<Manifest>& manifests, std::vector<std::vector<size_t>> refs,
                 std::vector<std::vector<std::string>> reasons) {
  const size_t n = manifests.size();
  ModelGraph g;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<uint32_t> rank(n);
  std::vector<std::string> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = manifests[i].id.key();
  auto less = [&](size_t a, size_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : manifests[a].blob < manifests[b].blob;
  };
  std::sort(order.begin(), order.end(), less);
  for (size_t k = 0; k < n; ++k) {
    const bool tied = k > 0 && !less(order[k - 1], order[k]);
    rank[order[k]] = tied ? rank[order[k - 1]] : static_cast<uint32_t>(k);
  }
  for (size_t i = 0; i < n; ++i) {
    std::vector<size_t> idx(refs[i].size());
    std::iota(idx.begin(), idx.end(), 0);
    // (std::sort in the original; stable here so that the model does not
    // depend on how a library sorts short ranges.)
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return rank[refs[i][a]] < rank[refs[i][b]]; });
    std::vector<size_t> r2;
    std::vector<std::string> s2;
    for (size_t k : idx) {
      if (refs[i][k] == i) continue;
      if (std::find(r2.begin(), r2.end(), refs[i][k]) != r2.end()) continue;
      r2.push_back(refs[i][k]);
      s2.push_back(reasons[i][k]);
    }
    refs[i] = std::move(r2);
    reasons[i] = std::move(s2);
  }
  enum : uint8_t { kNew, kActive, kDone };
  std::vector<uint8_t> state(n, kNew);
  std::vector<Hash> nodes(n);
  struct Frame {
    size_t node;
    size_t next;
  };
  std::vector<Frame> stack;
  for (size_t start : order) {
    if (state[start] != kNew) continue;
    stack.push_back({start, 0});
    state[start] = kActive;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < refs[f.node].size()) {
        size_t k = f.next++;
        size_t t = refs[f.node][k];
        if (state[t] == kActive) {
          g.warnings.push_back("reference cycle: dropped the edge " +
                               manifests[f.node].id.display() + " -> " + manifests[t].id.display() +
                               " (" + reasons[f.node][k] + ")");
          refs[f.node].erase(refs[f.node].begin() + static_cast<ptrdiff_t>(k));
          reasons[f.node].erase(reasons[f.node].begin() + static_cast<ptrdiff_t>(k));
          --f.next;
        } else if (state[t] == kNew) {
          state[t] = kActive;
          stack.push_back({t, 0});
        }
        continue;
      }
      std::vector<Hash> child;
      for (size_t t : refs[f.node]) child.push_back(nodes[t]);
      nodes[f.node] = node_hash(manifests[f.node].blob, std::move(child));
      state[f.node] = kDone;
      stack.pop_back();
    }
  }
  g.refs = std::move(refs);
  g.reasons = std::move(reasons);
  g.nodes = std::move(nodes);
  return g;
}

RC_GTEST_PROP(MerkleGraph, BuildGraphGivesWhatTheModelGives, ()) {
  const size_t n = *rc::gen::inRange<size_t>(1, 24);
  // Distinct identities in a random order; some share content.
  std::vector<size_t> names(n);
  std::iota(names.begin(), names.end(), 0);
  const auto shuffled = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 1000));
  std::sort(names.begin(), names.end(), [&](size_t a, size_t b) {
    return shuffled[a] != shuffled[b] ? shuffled[a] < shuffled[b] : a < b;
  });
  std::vector<Manifest> manifests;
  for (size_t i = 0; i < n; ++i) {
    const int content = *rc::gen::inRange(0, 3);
    Json v = {{"apiVersion", "v1"},
              {"kind", i % 3 == 0 ? "Secret" : "ConfigMap"},
              {"metadata", {{"name", "r" + std::to_string(names[i])}, {"namespace", "n"}}},
              {"data", {{"k", std::to_string(content)}}}};
    if (i % 3 == 0) v.erase("data");  // no values: nothing to seal
    manifests.push_back(make_manifest(v, SourceLocation{"x.yaml", static_cast<int>(i) + 1, 1}));
  }
  std::vector<std::vector<size_t>> refs(n);
  std::vector<std::vector<std::string>> reasons(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t edges = *rc::gen::inRange<size_t>(0, 13);
    for (size_t k = 0; k < edges; ++k) {
      refs[i].push_back(*rc::gen::inRange<size_t>(0, n));
      reasons[i].push_back("why" + std::to_string(*rc::gen::inRange(0, 4)));
    }
  }
  const ModelGraph want = model(manifests, refs, reasons);
  const Graph got = build_graph(manifests, refs, reasons);
  RC_CLASSIFY(!want.warnings.empty(), "cycles");
  RC_ASSERT(got.nodes == want.nodes);
  RC_ASSERT(got.refs == want.refs);
  RC_ASSERT(got.ref_reasons == want.reasons);
  RC_ASSERT(got.warnings == want.warnings);
}

}  // namespace
}  // namespace kix
