// What Store::add reads of the graph it adds, resource by resource, so that
// an add does not need a Manifest record per resource: a Graph
// (ManifestGraphView below) or an incremental add's compact graph
// (store/compact_graph.h) both give it.
//
// Indices are 0 .. size() - 1; references name indices. A view is read by
// one thread at a time and must outlive the add that reads it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/merkle.h"
#include "manifest/secret_seal.h"
#include "util/hash.h"

namespace kix {

class GraphView {
 public:
  virtual ~GraphView() = default;

  virtual size_t size() const = 0;
  virtual ResourceIdView id(size_t i) const = 0;
  virtual SourceLocation location(size_t i) const = 0;
  virtual const Hash& blob(size_t i) const = 0;
  virtual std::span<const Hash> nodes() const = 0;  // node hash per resource
  // The node hashes sorted, each once: what a root lists.
  virtual std::span<const Hash> sorted_nodes() const = 0;
  virtual uint64_t canonical_size(size_t i) const = 0;
  // The canonical bytes when the graph holds them; nullopt when it elided
  // them (the add's BlobSource gives them back).
  virtual std::optional<std::string_view> held_canonical(size_t i) const = 0;
  // A Secret's sealed values (manifest/secret_seal.h); nullptr for others.
  virtual const SealedSecret* sealed(size_t i) const = 0;
  virtual size_t ref_count(size_t i) const = 0;
  virtual size_t ref(size_t i, size_t k) const = 0;  // k < ref_count(i)
  virtual std::string_view ref_reason(size_t i, size_t k) const = 0;
  virtual const std::vector<std::string>& warnings() const = 0;
  // Where an add keeps what it holds per resource while it stores this
  // graph (util/spill_heap.h), touched as it is read; nullptr: the
  // default heap.
  virtual SpillHeap* working_memory() const { return nullptr; }

  Hash root(const std::string& cluster) const {
    return root_hash(cluster, sorted_nodes(), working_memory());
  }
};

// A Graph as a GraphView; the graph must outlive it.
class ManifestGraphView final : public GraphView {
 public:
  explicit ManifestGraphView(const Graph& graph) : graph_(graph) {}

  size_t size() const override { return graph_.manifests.size(); }
  ResourceIdView id(size_t i) const override { return graph_.manifests[i].id.view(); }
  SourceLocation location(size_t i) const override { return graph_.manifests[i].location; }
  const Hash& blob(size_t i) const override { return graph_.manifests[i].blob; }
  std::span<const Hash> nodes() const override { return graph_.nodes; }
  std::span<const Hash> sorted_nodes() const override {
    if (sorted_.empty() && !graph_.nodes.empty()) {
      sorted_ = graph_.nodes;
      std::sort(sorted_.begin(), sorted_.end());
      sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
    }
    return sorted_;
  }
  uint64_t canonical_size(size_t i) const override { return graph_.manifests[i].canonical.size(); }
  // A Graph holds every manifest's bytes.
  std::optional<std::string_view> held_canonical(size_t i) const override {
    return std::string_view(graph_.manifests[i].canonical);
  }
  const SealedSecret* sealed(size_t i) const override { return graph_.manifests[i].sealed.get(); }
  size_t ref_count(size_t i) const override { return graph_.refs[i].size(); }
  size_t ref(size_t i, size_t k) const override { return graph_.refs[i][k]; }
  std::string_view ref_reason(size_t i, size_t k) const override {
    const auto& reasons = graph_.ref_reasons[i];
    return k < reasons.size() ? std::string_view(reasons[k]) : std::string_view();
  }
  const std::vector<std::string>& warnings() const override { return graph_.warnings; }

 private:
  const Graph& graph_;
  mutable std::vector<Hash> sorted_;  // made on first use
};

}  // namespace kix
