#include "util/archive_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "util/error.h"

namespace kix {

namespace {

// The soname of libarchive 3 (Debian's libarchive13 package).
constexpr const char* kLibrary = "libarchive.so.13";

Error load_error(const std::string& what) {
  return Error(ErrorKind::kIo, "cannot load " + std::string(kLibrary) + ": " + what, {},
               "install libarchive (Debian: apt-get install libarchive13); kix needs it for "
               "tar archives (charts, store export and import, OCI layers)");
}

template <typename Function>
void bind(void* handle, const char* name, Function& out) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) throw load_error(std::string("no function ") + name);
  out = reinterpret_cast<Function>(symbol);
}

ArchiveLibrary load() {
  // Never unloaded: its functions are used until the process ends.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw load_error(why != nullptr ? why : "unknown error");
  }
  ArchiveLibrary a{};
  bind(handle, "archive_entry_filetype", a.entry_filetype);
  bind(handle, "archive_entry_free", a.entry_free);
  bind(handle, "archive_entry_hardlink", a.entry_hardlink);
  bind(handle, "archive_entry_new", a.entry_new);
  bind(handle, "archive_entry_pathname", a.entry_pathname);
  bind(handle, "archive_entry_set_filetype", a.entry_set_filetype);
  bind(handle, "archive_entry_set_gid", a.entry_set_gid);
  bind(handle, "archive_entry_set_mtime", a.entry_set_mtime);
  bind(handle, "archive_entry_set_pathname", a.entry_set_pathname);
  bind(handle, "archive_entry_set_perm", a.entry_set_perm);
  bind(handle, "archive_entry_set_size", a.entry_set_size);
  bind(handle, "archive_entry_set_uid", a.entry_set_uid);
  bind(handle, "archive_entry_size", a.entry_size);
  bind(handle, "archive_entry_size_is_set", a.entry_size_is_set);
  bind(handle, "archive_entry_sparse_count", a.entry_sparse_count);
  bind(handle, "archive_error_string", a.error_string);
  bind(handle, "archive_filter_bytes", a.filter_bytes);
  bind(handle, "archive_filter_code", a.filter_code);
  bind(handle, "archive_read_data", a.read_data);
  bind(handle, "archive_read_free", a.read_free);
  bind(handle, "archive_read_new", a.read_new);
  bind(handle, "archive_read_next_header", a.read_next_header);
  bind(handle, "archive_read_open_memory", a.read_open_memory);
  bind(handle, "archive_read_support_filter_gzip", a.read_support_filter_gzip);
  bind(handle, "archive_read_support_filter_zstd", a.read_support_filter_zstd);
  bind(handle, "archive_read_support_format_tar", a.read_support_format_tar);
  bind(handle, "archive_write_add_filter_gzip", a.write_add_filter_gzip);
  bind(handle, "archive_write_add_filter_zstd", a.write_add_filter_zstd);
  bind(handle, "archive_write_close", a.write_close);
  bind(handle, "archive_write_data", a.write_data);
  bind(handle, "archive_write_free", a.write_free);
  bind(handle, "archive_write_header", a.write_header);
  bind(handle, "archive_write_new", a.write_new);
  bind(handle, "archive_write_open", a.write_open);
  bind(handle, "archive_write_set_bytes_in_last_block", a.write_set_bytes_in_last_block);
  bind(handle, "archive_write_set_filter_option", a.write_set_filter_option);
  bind(handle, "archive_write_set_format_pax_restricted", a.write_set_format_pax_restricted);
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
