// A store that keeps everything in memory (store/store.h): the same
// contract as SqliteStore, for unit tests of the code above the store and
// for callers that need a scratch store. Nothing is persisted; blobs are
// kept uncompressed.
//
// Writes are all-or-nothing: each validates everything before it changes
// anything. Snapshots are trivial, since one thread uses the object.
//
// Thread-safety: one thread at a time; objects share nothing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace kix {

class MemoryStore final : public Store {
 public:
  std::string describe() const override { return "in-memory store"; }

  using Store::add;
  AddResult add(const GraphView& graph, const AddOptions& options) override;
  Generation append_generation(const GenerationRequest& request) override;
  using Store::record_deployment;
  Deployment record_deployment(const std::string& cluster, const Hash& root, int64_t time,
                               const std::string& context,
                               std::optional<Deployment::Partial> partial) override;
  bool pin(const Hash& hash, ObjectKind kind, int64_t time) override;
  bool unpin(const Hash& hash) override;
  ImportResult import_closure(const Closure& closure, const ImportOptions& options = {}) override;

  std::unique_ptr<ReadSnapshot> snapshot() override;
  std::optional<StoredRoot> find_root(const Hash& hash) override;
  std::optional<StoredNode> find_node(const Hash& hash) override;
  std::vector<StoredNode> load_nodes(const std::vector<Hash>& hashes) override;
  std::vector<StoredRef> refs_from(const Hash& node) override;
  std::vector<StoredRef> refs_to(const Hash& node) override;
  std::vector<Hash> closure(const std::vector<Hash>& start) override;
  bool has_blob(const Hash& blob) override;
  std::string read_blob(const Hash& blob) override;
  std::optional<SealedSecret> sealed_secret(const Hash& blob) override;
  std::optional<std::string> find_source(const Hash& sha256) override;
  Hash keep_source(std::string_view bytes, const std::string& kind,
                   const std::string& name) override;
  std::vector<std::pair<Hash, ObjectKind>> find_by_prefix(std::string_view hex_prefix,
                                                          size_t limit) override;
  std::vector<std::string> clusters() override;
  std::vector<Generation> generations(const std::string& cluster) override;
  std::optional<Generation> generation(const std::string& cluster, int64_t number) override;
  std::optional<Generation> current_generation(const std::string& cluster) override;
  std::vector<Generation> generations_of_root(const Hash& root) override;
  std::optional<Deployment> last_deployment(const std::string& cluster) override;
  std::vector<Deployment> deployments(const std::string& cluster) override;
  std::vector<Pin> pins() override;

  GcResult collect_garbage(const GcOptions& options) override;
  VerifyReport verify(const VerifyOptions& options) override;

 private:
  void insert_root(const StoredRoot& root);

  std::map<Hash, std::string> blobs_;     // canonical JSON
  std::map<Hash, SealedSecret> secrets_;  // by blob
  std::map<Hash, StoredNode> nodes_;
  std::map<std::pair<Hash, Hash>, std::string> refs_;  // (src, dst) -> reason
  std::set<std::pair<Hash, Hash>> refs_by_dst_;        // (dst, src)
  std::map<Hash, StoredRoot> roots_;
  std::map<std::string, std::vector<Generation>> generations_;  // by number
  std::map<Hash, Pin> pins_;
  std::map<std::string, std::vector<Deployment>> deployments_;  // oldest first
  std::map<Hash, std::string> sources_;                         // bytes by SHA-256
  std::set<std::pair<Hash, Hash>> root_sources_;                // (root, source)
};

}  // namespace kix
