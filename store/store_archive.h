// Closures as one file, for moving store contents between machines
// (`kix store export` / `kix store import`, docs/store.md "Archives").
//
// The file is a POSIX (pax) tar archive compressed with zstd, written and
// read with libarchive, so standard tools can open it (`tar --zstd -xf FILE`):
//   kix-archive.json  {"v":1,"roots":[...],"nodes":[...]} (see docs/store.md)
//   blobs/<hex>       the canonical JSON of each blob
// Reading is done in memory and checks everything before the store is
// touched: only regular files with those names (no absolute or `..` paths,
// links, directories, devices, FIFOs), limits on entries and on the bytes
// actually decompressed, and every blob, node and root hash recomputed.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace kix {

struct ArchiveLimits {
  // The tar stream after zstd, counted as it is decompressed (entry
  // headers and the bytes of entry data actually produced).
  size_t max_expanded_bytes = size_t{1} << 30;
  size_t max_entries = 1u << 20;
  size_t max_entry_bytes = ZstdCodec::kMaxRawSize;
};

// A validated archive: every hash in it was recomputed from its content.
struct ArchiveContents {
  std::vector<StoredRoot> roots;
  std::vector<StoredNode> nodes;
  std::vector<StoredRef> refs;
  std::map<Hash, std::string> blobs;  // blob hash -> canonical JSON
};

// The closure of `roots` and `nodes` (everything they reach) as archive
// bytes. Throws kNotFound for an object that is not stored.
std::string export_archive(Store& store, const std::vector<Hash>& roots,
                           const std::vector<Hash>& nodes);

// Parses and checks archive bytes without touching any store. Throws
// kix::Error(kInvalidInput) naming the first problem: a broken stream, an
// entry that is not a regular file with an expected name, a limit exceeded,
// a hash that does not match its content, a reference to an object that is
// not in the archive.
ArchiveContents read_archive(std::string_view bytes, const ArchiveLimits& limits = {});

struct ImportResult {
  size_t roots = 0;
  size_t nodes = 0;
  size_t new_blobs = 0;
  size_t reused_blobs = 0;
};

// Stores validated contents in one transaction (no generations: pin the
// roots or record a generation to keep them through gc).
ImportResult import_archive(Store& store, const ArchiveContents& contents);

}  // namespace kix
