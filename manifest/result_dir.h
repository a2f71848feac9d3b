// Result directories: what `kix build -o DIR` and `kix rollback REF -o DIR`
// write, and what `kix store add DIR` reads back as exactly the root that
// wrote it (docs/result-directory.md).
//
//   DIR/root     the root hash: 64 lowercase hex digits and a newline
//   DIR/graph    JSON: the cluster name the root is hashed with, and per
//                file its node hash, blob hash and references (by file
//                name, with their reasons)
//   DIR/<namespace>_<kind>_<name>.yaml   one manifest per file
//
// The directory describes itself: the manifests give the blobs, `graph`
// gives the edges and the cluster name, so the node hashes and the root
// can be recomputed from the directory alone (docs/kix_hash.py result DIR).
// Neither `root` nor `graph` has an extension that kubectl or kix reads as
// a manifest, so `kubectl apply -f DIR` applies only the manifests.
//
// A result holding a Secret is created 0700 with 0600 files; others follow
// the umask (0777 and 0644 before it). A Secret whose values are not known
// (read from a store without its key: Manifest::values_known) is withheld:
// the graph file lists it with "withheld" and the key id, and no file
// holds it, so nothing can apply or add a Secret without its values.
//
// Writing never loses anything: a directory that is neither empty nor a
// kix result is refused before anything is written; the new result is
// written into a sibling temporary directory (every file and the directory
// fsynced; the files from several threads, util/new_file_batch.h) and
// swapped in whole, so DIR is at every instant either the old
// result or the complete new one; the caller's record (a generation in the
// store) runs only after the swap, and if it fails the swap is undone.
//
// Thread-safety: the functions share no state; two writers of one DIR must
// be serialised by the caller (two processes racing for one DIR get one
// result each in turn, never a mix).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "manifest/merkle.h"
#include "util/diagnostics.h"
#include "util/hash.h"

namespace kix {

// The longest file name (in bytes) kix writes; every common file system
// allows 255.
inline constexpr size_t kMaxResultFileName = 255;

// One file name per manifest of `graph`, in the graph's order:
// "<namespace>_<kind>_<name>.yaml" ("_cluster" for cluster-scoped
// resources), characters other than letters, digits, '.' and '-' written as
// '_'. Names that would clash, and names longer than kMaxResultFileName,
// end with "_<16 hex digits of the node hash>.yaml" instead (a long one is
// shortened first), so the names do not depend on the graph's order.
std::vector<std::string> result_file_names(const Graph& graph);

// Throws kConflict, naming the first foreign entry, unless `dir` is
// missing, an empty directory, or a kix result: a regular `root` file of 64
// hex digits, at most a regular `graph` file, and otherwise only regular
// `*.yaml` files. The user's own directories are never replaced.
void check_result_dir(const std::filesystem::path& dir);

// Writes the result of `graph` (whose root, hashed with `cluster`, is
// `root`) to `dir` as described above, then calls `record` (may be empty).
// When `record` throws, `dir` is put back as it was and the exception
// propagates. Throws kConflict (check_result_dir), kIo (nothing changed:
// disk full, permissions), or what `record` throws. Removes temporary
// siblings of `dir` left by killed kix processes.
void write_result_dir(const std::filesystem::path& dir, const Graph& graph,
                      const std::string& cluster, const Hash& root,
                      const std::function<void()>& record);

// True when `dir` holds a regular `root` and a regular `graph` file.
bool is_result_dir(const std::filesystem::path& dir);

struct ResultDir {
  Graph graph;          // the manifests in the graph file's order, with its edges
  std::string cluster;  // the name the root is hashed with
  Hash root;            // graph.root(cluster)
  Hash recorded_root;   // what `root` says
  // Files whose content changed since kix wrote them (their blob differs
  // from the graph file's); when not empty, root != recorded_root.
  std::vector<std::string> edited;
};

// Reads a result directory. Manifests that were edited are taken as they
// are now (with the recorded edges), and a warning naming them goes to
// `diags`. Throws kInvalidInput, naming the file, for a malformed `root` or
// `graph`, a manifest file the graph lists that is missing or is not one
// manifest, a `*.yaml` file the graph does not list, and an edge to a file
// the graph does not list.
//
// Secrets are sealed with `keys` (manifest/secret_seal.h) as they are read;
// a result whose Secrets were withheld (written without the key that opens
// them) is refused with kNotFound naming the key.
ResultDir read_result_dir(const std::filesystem::path& dir, Diagnostics& diags,
                          SecretKeyring* keys = nullptr);

}  // namespace kix
