// kix.lock (docs/lockfile.md): what a build's inputs were, by content.
// Written only by `kix lock`, verified by every build.
//
//   {
//     "version": 1,
//     "charts": [{"repository": "https://charts.example.org", "name": "cloudnative-pg",
//                 "version": "0.29.0", "url": "https://…/cloudnative-pg-0.29.0.tgz",
//                 "sha256": "<64 hex>"}],
//     "images": {"ghcr.io/immich-app/immich-server:v1.131.1": "sha256:<64 hex>"},
//     "packages": {"immich": {"source": "builtin", "sha256": "<64 hex>"}}
//   }
//
// The file is canonical: keys sorted, two-space indentation, charts sorted
// by (repository, name, version), a final newline; writing what was read
// gives the same bytes, so a lock that did not change is not rewritten.
//
// Thread-safety: plain values.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/hash.h"

namespace kix::compiler {

inline constexpr const char* kLockFileName = "kix.lock";
inline constexpr int kLockVersion = 1;

struct LockedChart {
  std::string repository;  // as the package wrote it (a URL, oci://…, or a path)
  std::string name;
  std::string version;
  std::string url;  // where the archive was downloaded from ("" for a local path)
  Hash sha256;      // of the archive's bytes

  auto key() const { return std::tie(repository, name, version); }
};

struct LockedPackage {
  std::string source;  // "builtin", or the package directory relative to the definition
  Hash sha256;         // package_content_hash
};

struct Lockfile {
  std::vector<LockedChart> charts;
  std::map<std::string, std::string> images;  // "repo:tag" -> "sha256:<hex>"
  std::map<std::string, LockedPackage> packages;

  const LockedChart* find_chart(const std::string& repository, const std::string& name,
                                const std::string& version) const;
  // Replaces the entry with the same (repository, name, version), or adds it.
  void put_chart(LockedChart chart);
};

// Reads `path`. Throws kInvalidInput naming the file (and the line, when
// known) for malformed JSON, an unknown field, a bad hash, or a version
// other than 1 (kConflict for a newer one: "written by a newer kix").
Lockfile read_lockfile(const std::filesystem::path& path);

// The canonical text of `lock`.
std::string lockfile_text(const Lockfile& lock);

// The content hash of a package directory: SHA-256 over the canonical JSON
// {"files": {"<path>": "<sha256 hex of its bytes>", …}} of every regular
// file below `dir` except README.md and the test/ directory (which do not
// change what the package emits). Symbolic links are refused (kInvalidInput).
Hash package_content_hash(const std::filesystem::path& dir);

}  // namespace kix::compiler
