#include "store/tar_writer.h"

#include "util/archive_library.h"
#include "util/error.h"

namespace kix {

namespace {

struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive().entry_free(e); }
};

la_ssize_t append_to_string(struct archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

// Writing only fails on exhausted memory or a broken libarchive: an internal error.
void check_write(struct archive* a, int status, const char* what) {
  if (status < ARCHIVE_WARN) {
    const char* detail = archive().error_string(a);
    throw Error(ErrorKind::kInternal,
                std::string("cannot write the archive (") + what + "): " + (detail ? detail : "?"));
  }
}

}  // namespace

void TarWriter::ArchiveDeleter::operator()(struct archive* a) const {
  archive().write_free(a);
}

TarWriter::TarWriter(std::string& out, TarWriteCompression compression)
    : archive_(archive().write_new()) {
  if (!archive_) throw Error(ErrorKind::kInternal, "cannot allocate an archive writer");
  struct archive* a = archive_.get();
  check_write(a, archive().write_set_format_pax_restricted(a), "format");
  if (compression == TarWriteCompression::kZstd) {
    check_write(a, archive().write_add_filter_zstd(a), "zstd filter");
  } else {
    check_write(a, archive().write_add_filter_gzip(a), "gzip filter");
    // No time stamp in the gzip header: the same entries, the same bytes.
    check_write(a, archive().write_set_filter_option(a, "gzip", "timestamp", nullptr),
                "gzip options");
  }
  // No padding of the last block: the compressed stream ends with the data.
  check_write(a, archive().write_set_bytes_in_last_block(a, 1), "block size");
  check_write(a, archive().write_open(a, &out, nullptr, append_to_string, nullptr), "open");
}

TarWriter::~TarWriter() = default;

void TarWriter::add(const std::string& name, std::string_view data) {
  std::unique_ptr<struct archive_entry, EntryDeleter> entry(archive().entry_new());
  if (!entry) throw Error(ErrorKind::kInternal, "cannot allocate an archive entry");
  archive().entry_set_pathname(entry.get(), name.c_str());
  archive().entry_set_filetype(entry.get(), AE_IFREG);
  archive().entry_set_perm(entry.get(), 0644);
  archive().entry_set_uid(entry.get(), 0);
  archive().entry_set_gid(entry.get(), 0);
  archive().entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
  archive().entry_set_mtime(entry.get(), 0, 0);
  struct archive* a = archive_.get();
  check_write(a, archive().write_header(a, entry.get()), "header");
  size_t written = 0;
  while (written < data.size()) {
    la_ssize_t n = archive().write_data(a, data.data() + written, data.size() - written);
    if (n <= 0) check_write(a, ARCHIVE_FATAL, "data");
    written += static_cast<size_t>(n);
  }
}

void TarWriter::finish() {
  check_write(archive_.get(), archive().write_close(archive_.get()), "close");
}

}  // namespace kix
