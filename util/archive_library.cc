#include "util/archive_library.h"

#include <mutex>
#include <string>

#include "util/error.h"
#include "util/shared_library.h"

namespace kix {

namespace {

// The soname of libarchive 3 (Debian's libarchive13 package).
constexpr const char* kLibrary = "libarchive.so.13";
const std::string kHint =
    "install libarchive (Debian: apt-get install libarchive13); kix needs it for "
    "tar archives (charts, store export and import, OCI layers)";

ArchiveLibrary load() {
  void* handle = open_shared_library(kLibrary, kHint);
  ArchiveLibrary a{};
  bind_symbol(handle, kLibrary, "archive_entry_filetype", kHint, a.entry_filetype);
  bind_symbol(handle, kLibrary, "archive_entry_free", kHint, a.entry_free);
  bind_symbol(handle, kLibrary, "archive_entry_hardlink", kHint, a.entry_hardlink);
  bind_symbol(handle, kLibrary, "archive_entry_new", kHint, a.entry_new);
  bind_symbol(handle, kLibrary, "archive_entry_pathname", kHint, a.entry_pathname);
  bind_symbol(handle, kLibrary, "archive_entry_set_filetype", kHint, a.entry_set_filetype);
  bind_symbol(handle, kLibrary, "archive_entry_set_gid", kHint, a.entry_set_gid);
  bind_symbol(handle, kLibrary, "archive_entry_set_mtime", kHint, a.entry_set_mtime);
  bind_symbol(handle, kLibrary, "archive_entry_set_pathname", kHint, a.entry_set_pathname);
  bind_symbol(handle, kLibrary, "archive_entry_set_perm", kHint, a.entry_set_perm);
  bind_symbol(handle, kLibrary, "archive_entry_set_size", kHint, a.entry_set_size);
  bind_symbol(handle, kLibrary, "archive_entry_set_uid", kHint, a.entry_set_uid);
  bind_symbol(handle, kLibrary, "archive_entry_size", kHint, a.entry_size);
  bind_symbol(handle, kLibrary, "archive_entry_size_is_set", kHint, a.entry_size_is_set);
  bind_symbol(handle, kLibrary, "archive_entry_sparse_count", kHint, a.entry_sparse_count);
  bind_symbol(handle, kLibrary, "archive_error_string", kHint, a.error_string);
  bind_symbol(handle, kLibrary, "archive_filter_bytes", kHint, a.filter_bytes);
  bind_symbol(handle, kLibrary, "archive_filter_code", kHint, a.filter_code);
  bind_symbol(handle, kLibrary, "archive_read_data", kHint, a.read_data);
  bind_symbol(handle, kLibrary, "archive_read_free", kHint, a.read_free);
  bind_symbol(handle, kLibrary, "archive_read_new", kHint, a.read_new);
  bind_symbol(handle, kLibrary, "archive_read_next_header", kHint, a.read_next_header);
  bind_symbol(handle, kLibrary, "archive_read_open_memory", kHint, a.read_open_memory);
  bind_symbol(handle, kLibrary, "archive_read_support_filter_gzip", kHint,
              a.read_support_filter_gzip);
  bind_symbol(handle, kLibrary, "archive_read_support_filter_zstd", kHint,
              a.read_support_filter_zstd);
  bind_symbol(handle, kLibrary, "archive_read_support_format_tar", kHint,
              a.read_support_format_tar);
  bind_symbol(handle, kLibrary, "archive_write_add_filter_gzip", kHint, a.write_add_filter_gzip);
  bind_symbol(handle, kLibrary, "archive_write_add_filter_zstd", kHint, a.write_add_filter_zstd);
  bind_symbol(handle, kLibrary, "archive_write_close", kHint, a.write_close);
  bind_symbol(handle, kLibrary, "archive_write_data", kHint, a.write_data);
  bind_symbol(handle, kLibrary, "archive_write_free", kHint, a.write_free);
  bind_symbol(handle, kLibrary, "archive_write_header", kHint, a.write_header);
  bind_symbol(handle, kLibrary, "archive_write_new", kHint, a.write_new);
  bind_symbol(handle, kLibrary, "archive_write_open", kHint, a.write_open);
  bind_symbol(handle, kLibrary, "archive_write_set_bytes_in_last_block", kHint,
              a.write_set_bytes_in_last_block);
  bind_symbol(handle, kLibrary, "archive_write_set_filter_option", kHint,
              a.write_set_filter_option);
  bind_symbol(handle, kLibrary, "archive_write_set_format_pax_restricted", kHint,
              a.write_set_format_pax_restricted);
  return a;
}

}  // namespace

const ArchiveLibrary& archive() {
  // A failed load is retried on the next call (call_once does not count a
  // call that threw), and each caller gets the error.
  static std::once_flag once;
  static ArchiveLibrary library;
  std::call_once(once, [] { library = load(); });
  return library;
}

}  // namespace kix
