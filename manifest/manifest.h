// Kubernetes manifests as kix sees them: a JSON object with an identity,
// read from files, directories or stdin.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "util/diagnostics.h"
#include "util/hash.h"

namespace kix {

struct SealedSecret;  // manifest/secret_seal.h

struct ResourceId;

// A ResourceId's four strings as views, valid as long as what they view:
// how a compact graph (store/compact_graph.h) hands out the identities it
// keeps encoded. group(), key() and display() are ResourceId's.
struct ResourceIdView {
  std::string_view api_version;
  std::string_view kind;
  std::string_view ns;
  std::string_view name;

  std::string_view group() const;
  std::string key() const;
  std::string display() const;
  ResourceId id() const;  // a copy that owns its strings
};

// apiVersion, kind, namespace, name: what a resource is, independent of its
// content. Cluster-scoped resources have an empty namespace.
struct ResourceId {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;

  // The API group ("" for the core group): "apps" for "apps/v1".
  std::string group() const;
  // Identity across API versions: "group/Kind/namespace/name". Two builds'
  // resources with the same key are the same object in the cluster.
  std::string key() const;
  // "Kind/name" or "Kind/name @ namespace" for people, on one line: control
  // characters (newlines included) are escaped (util/printable.h).
  std::string display() const;
  ResourceIdView view() const { return {api_version, kind, ns, name}; }

  auto operator<=>(const ResourceId&) const = default;
};

struct Manifest {
  Json value;
  ResourceId id;
  SourceLocation location;  // the start of the document it came from
  std::string canonical;    // RFC 8785 bytes of value; for a sealed Secret, of its hash form
  Hash blob;                // sha256(canonical) (a Secret sealed by kix 0.1.0: of its plaintext)

  // Secrets (docs/secrets.md). make_manifest marks a Secret that has values
  // as needing sealing: its hashes may only be computed over its hash form,
  // so build_graph refuses it until seal_manifest (manifest/secret_seal.h)
  // has set `canonical` and `blob` to the hash form's and `sealed` to the
  // ciphertext of the values. `value` keeps the values for writing results
  // and deploying; a Secret read back from a store without its key has
  // values_known false and its hash form as `value`.
  bool needs_sealing = false;
  bool values_known = true;  // (beside needs_sealing: one padding slot for both)
  std::shared_ptr<const SealedSecret> sealed;
};

// Builds a Manifest from a parsed document: checks that it is an object with
// string apiVersion, kind and metadata.name, computes canonical bytes and the
// blob hash. Throws kix::Error(kInvalidInput) naming `where` otherwise.
Manifest make_manifest(Json value, const SourceLocation& where);

// Turns documents into manifests: skips empty documents, flattens
// `kind: List` (and `*List` kinds with `items`), rejects non-objects.
void append_manifests(std::vector<Document>&& docs, std::vector<Manifest>& out);

// A file ("-" is stdin) or a directory walked recursively for *.yaml,
// *.yml and *.json in name order. Throws kNotFound for a missing path.
std::vector<Manifest> load_manifests(const std::vector<std::string>& paths, Diagnostics& diags,
                                     const ParseOptions& options = {});

// Lists the manifest files under `path` in a stable order (a file is
// itself). Strings, not std::filesystem::path: a path object keeps its
// parsed components on the heap, several hundred bytes per file.
std::vector<std::string> manifest_files(const std::filesystem::path& path);
// The same, each path handed to `each` in that order as it is found, so
// that the caller holds the list as it likes.
void for_each_manifest_file(const std::filesystem::path& path,
                            const std::function<void(std::string_view)>& each);

// Two manifests with the same identity in one input are an error naming both.
void check_unique_identities(const std::vector<Manifest>& manifests);
// The same for `count` resources given by index: identity and location.
void check_unique_identities(size_t count, const std::function<ResourceIdView(size_t)>& id,
                             const std::function<SourceLocation(size_t)>& location);

}  // namespace kix
