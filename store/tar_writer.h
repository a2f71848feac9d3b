// Deterministic tar archives in memory (libarchive): the store's archive
// (`kix store export`), the packs and the Flux content layer of an OCI
// artifact (docs/oci.md).
//
// Every entry is a regular file with owner 0, no owner names, mode 0644
// and time 0, in the order added, in POSIX (pax restricted) format, so the
// same entries always give the same bytes with a given libarchive and
// compressor. gzip streams carry no time stamp or file name.
//
// Errors: only exhausted memory or a broken libarchive make it fail, as
// kix::Error(kInternal).
//
// Thread-safety: one writer per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct archive;

namespace kix {

enum class TarWriteCompression { kZstd, kGzip };

class TarWriter {
 public:
  // Writes into `out`, which must outlive the writer.
  TarWriter(std::string& out, TarWriteCompression compression);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add(const std::string& name, std::string_view data);
  // Ends the stream; `out` is complete afterwards.
  void finish();

 private:
  struct ArchiveDeleter {
    void operator()(struct archive* a) const;
  };
  std::unique_ptr<struct archive, ArchiveDeleter> archive_;
};

}  // namespace kix
