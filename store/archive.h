// Closures, and closures as one file (`kix store export` / `kix store
// import`, docs/store.md "Archives").
//
// A Closure is a set of roots, nodes, refs and blobs that is complete (every
// node a root lists or a node references is in it, with its blob) and
// checked (every hash recomputed from content, every blob the canonical
// JSON of a manifest), with the cluster history it carries (store/history.h:
// generations, deployment records and pins of its roots). It is the unit stores exchange:
// export_closure reads one from a store, Store::import_closure writes one into a store, and the
// archive format below (and the OCI transport) carry one between machines.
//
// The archive is a POSIX (pax) tar archive compressed with zstd, written and
// read with libarchive, so standard tools can open it (`tar --zstd -xf FILE`):
//   kix-archive.json  {"v":3,"roots":[...],"nodes":[...],"secrets":[...],
//                     "history":{...}} (docs/store.md; versions 1 and 2,
//                     without history, still read)
//   blobs/<hex>       the canonical JSON of each blob (a Secret's hash form)
//   sealed/<hex>      the sealed values of the Secret whose blob is <hex>
// Reading is done in memory and checks everything before any store is
// touched: only regular files with those names (no absolute or `..` paths,
// links, directories, devices, FIFOs), limits on entries and on the bytes
// actually decompressed, then Closure::check.
//
// Thread-safety: the functions share no state.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/export_request.h"
#include "store/history.h"
#include "store/store.h"

namespace kix {

class Closure {
 public:
  // Checks the parts and takes them. Throws kInvalidInput naming the first
  // problem, with `source` ("archive x.tar.zst") as context: a blob that
  // does not hash to its name or is not the canonical JSON of a manifest, a
  // node whose identity is not its manifest's or whose hash is not that of
  // its blob and refs, a node, ref or root naming a node that is missing, a
  // root whose hash is not that of its cluster name and nodes, a duplicate.
  // A Secret's blob must be its hash form with its values in `sealed`
  // (ciphertext only: a closure never holds a Secret's values).
  // With a history, it is checked too (check_history).
  static Closure check(std::vector<StoredRoot> roots, std::vector<StoredNode> nodes,
                       std::vector<StoredRef> refs, std::map<Hash, std::string> blobs,
                       std::map<Hash, SealedSecret> sealed, const std::string& source);
  static Closure check(std::vector<StoredRoot> roots, std::vector<StoredNode> nodes,
                       std::vector<StoredRef> refs, std::map<Hash, std::string> blobs,
                       std::map<Hash, SealedSecret> sealed, History history,
                       const std::string& source);

  // Roots with sorted node lists, nodes in ascending hash order, refs by
  // (from, to), blobs by hash.
  const std::vector<StoredRoot>& roots() const { return roots_; }
  const std::vector<StoredNode>& nodes() const { return nodes_; }
  const std::vector<StoredRef>& refs() const { return refs_; }
  const std::map<Hash, std::string>& blobs() const { return blobs_; }
  // The sealed values of the Secrets among the blobs, by blob hash.
  const std::map<Hash, SealedSecret>& sealed() const { return sealed_; }
  // The history it carries (empty for a closure of hashes alone).
  const History& history() const { return history_; }

 private:
  Closure() = default;
  std::vector<StoredRoot> roots_;
  std::vector<StoredNode> nodes_;
  std::vector<StoredRef> refs_;
  std::map<Hash, std::string> blobs_;
  std::map<Hash, SealedSecret> sealed_;
  History history_;
};

// The closure of what `request` names (everything it reaches) as stored in
// `store`, with the history asked for, read in one snapshot. Throws
// kNotFound for a REF or cluster that is not stored and kCorruption for
// stored data that fails its hash.
Closure export_closure(Store& store, const ExportRequest& request);
Closure export_closure(Store& store, const std::vector<Hash>& roots,
                       const std::vector<Hash>& nodes);

struct ArchiveLimits {
  // The tar stream after zstd, counted as it is decompressed (entry
  // headers and the bytes of entry data actually produced). A closure of
  // 10,000 typical resources is about 16 MiB.
  size_t max_expanded_bytes = size_t{256} << 20;
  size_t max_entries = 1u << 20;
  // One blob: the largest document the readers accept (manifest/document.h).
  size_t max_entry_bytes = size_t{32} << 20;
};

// The archive bytes of a closure. The same closure always gives the same
// bytes (entries in a fixed order, owners, modes and times zeroed).
std::string write_archive(const Closure& closure);

// Parses and checks archive bytes without touching any store. Throws
// kix::Error(kInvalidInput) naming the first problem: a broken stream, an
// entry that is not a regular file with an expected name, a limit exceeded,
// or what Closure::check refuses. A version 1 archive (kix 0.1.0) may hold
// Secrets in plaintext: they are sealed with `keys` (created on first
// need), keeping their hashes (legacy); without keys that is kNotFound.
Closure read_archive(std::string_view bytes, const ArchiveLimits& limits = {},
                     SecretKeyring* keys = nullptr);

}  // namespace kix
