// Reading a compressed tar archive that may be hostile (an export archive
// from someone else, a chart from a repository) into memory, every entry
// checked and every byte counted.
//
// Refused, each with its own message: absolute paths ("/x"), paths with a
// ".." component, Windows-style paths (a backslash, or a drive letter such
// as "C:"), empty names, symbolic and hard links (whatever they point at),
// devices, FIFOs, sparse files, directories unless allowed, more entries
// than max_entries, an entry larger than max_entry_bytes, and a stream that
// expands beyond max_expanded_bytes (counted as it is decompressed,
// headers included, never trusting the sizes the headers claim), a stream
// in another compression than the one asked for, and truncated or damaged
// data. Nothing is written to disk.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kix {

enum class TarCompression { kZstd, kGzip };

struct TarLimits {
  size_t max_expanded_bytes = size_t{256} << 20;
  size_t max_entries = 1u << 20;
  size_t max_entry_bytes = size_t{32} << 20;
};

struct TarEntry {
  std::string path;  // as in the archive ("a/b.yaml"; a directory's ends in '/')
  std::string data;  // empty for a directory
  bool directory = false;
};

struct TarReadOptions {
  TarCompression compression = TarCompression::kZstd;
  TarLimits limits;
  bool allow_directories = false;  // listed as entries with directory = true
};

// The entries of the archive, in archive order. Throws
// kix::Error(kInvalidInput) saying what is wrong ("entry '../x' contains
// '..'", "it expands to more than N bytes"); callers add which file it was.
std::vector<TarEntry> read_tar(std::string_view bytes, const TarReadOptions& options);

}  // namespace kix
