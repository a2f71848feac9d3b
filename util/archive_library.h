// libarchive, loaded when kix first reads or writes a tar archive (chart
// archives, store export and import, OCI layers) rather than when it
// starts: libarchive and the libraries it links (XML, ICU, compressors,
// ACLs) cost every other command their loading time. kix links no
// libarchive; archive() dlopens libarchive.so.13 on first use.
//
// Errors: archive() throws kix::Error(kIo) naming the library and what the
// loader said when it or one of its functions cannot be loaded.
// Thread-safety: archive() may be called from any thread; it loads once.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace kix {

struct ArchiveLibrary {
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_free) entry_free;
  decltype(&::archive_entry_hardlink) entry_hardlink;
  decltype(&::archive_entry_new) entry_new;
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_set_filetype) entry_set_filetype;
  decltype(&::archive_entry_set_gid) entry_set_gid;
  decltype(&::archive_entry_set_mtime) entry_set_mtime;
  decltype(&::archive_entry_set_pathname) entry_set_pathname;
  decltype(&::archive_entry_set_perm) entry_set_perm;
  decltype(&::archive_entry_set_size) entry_set_size;
  decltype(&::archive_entry_set_uid) entry_set_uid;
  decltype(&::archive_entry_size) entry_size;
  decltype(&::archive_entry_size_is_set) entry_size_is_set;
  decltype(&::archive_entry_sparse_count) entry_sparse_count;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_filter_bytes) filter_bytes;
  decltype(&::archive_filter_code) filter_code;
  decltype(&::archive_read_data) read_data;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_open_memory) read_open_memory;
  decltype(&::archive_read_support_filter_gzip) read_support_filter_gzip;
  decltype(&::archive_read_support_filter_zstd) read_support_filter_zstd;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_write_add_filter_gzip) write_add_filter_gzip;
  decltype(&::archive_write_add_filter_zstd) write_add_filter_zstd;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_write_data) write_data;
  decltype(&::archive_write_free) write_free;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_new) write_new;
  decltype(&::archive_write_open) write_open;
  decltype(&::archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block;
  decltype(&::archive_write_set_filter_option) write_set_filter_option;
  decltype(&::archive_write_set_format_pax_restricted) write_set_format_pax_restricted;
};

const ArchiveLibrary& archive();

}  // namespace kix
