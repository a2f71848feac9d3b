#include "util/tar_reader.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "util/archive_library.h"
#include "util/error.h"

namespace kix {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

struct ReaderDeleter {
  void operator()(struct archive* a) const { archive().read_free(a); }
};

Error invalid(const std::string& what) {
  return Error(ErrorKind::kInvalidInput, what);
}

std::string libarchive_error(struct archive* a) {
  const char* detail = archive().error_string(a);
  return detail ? detail : "unknown error";
}

// Why a path may not appear, or nullopt. Windows readers treat '\' as a
// separator and "C:" as a drive, so both could escape on extraction there.
std::optional<std::string> refused_path(const std::string& name) {
  if (name.empty()) return "an entry has an empty name";
  if (name.front() == '/') return "entry '" + name + "' has an absolute path";
  if (name.find('\\') != std::string::npos) {
    return "entry '" + name + "' has a Windows-style path (a backslash)";
  }
  if (name.size() >= 2 && std::isalpha(static_cast<unsigned char>(name[0])) && name[1] == ':') {
    return "entry '" + name + "' starts with a drive letter";
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = std::min(name.find('/', start), name.size());
    if (std::string_view(name).substr(start, end - start) == "..") {
      return "entry '" + name + "' contains '..'";
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> refused_type(struct archive_entry* entry, const std::string& name,
                                        bool allow_directories) {
  if (archive().entry_hardlink(entry)) return "entry '" + name + "' is a hard link";
  switch (archive().entry_filetype(entry)) {
    case AE_IFREG:
      break;
    case AE_IFDIR:
      if (allow_directories) return std::nullopt;
      return "entry '" + name + "' is a directory";
    case AE_IFLNK:
      return "entry '" + name + "' is a symbolic link";
    case AE_IFCHR:
    case AE_IFBLK:
      return "entry '" + name + "' is a device";
    case AE_IFIFO:
      return "entry '" + name + "' is a FIFO";
    default:
      return "entry '" + name + "' is not a regular file";
  }
  if (archive().entry_sparse_count(entry) > 0) return "entry '" + name + "' is a sparse file";
  return std::nullopt;
}

Error expands_too_far(const TarLimits& limits) {
  return invalid("it expands to more than " + std::to_string(limits.max_expanded_bytes) + " bytes");
}

// Counts the bytes actually produced rather than trusting the header's
// size, so a compression bomb stops at the limits.
std::string read_entry_data(struct archive* a, const std::string& name, size_t& expanded,
                            const TarLimits& limits) {
  std::string data;
  char chunk[kReadChunk];
  while (true) {
    la_ssize_t n = archive().read_data(a, chunk, sizeof chunk);
    if (n == 0) return data;
    if (n < 0)
      throw invalid("entry '" + name + "' is truncated or damaged: " + libarchive_error(a));
    expanded += static_cast<size_t>(n);
    if (expanded > limits.max_expanded_bytes) throw expands_too_far(limits);
    if (data.size() + static_cast<size_t>(n) > limits.max_entry_bytes) {
      throw invalid("entry '" + name + "' is larger than " +
                    std::to_string(limits.max_entry_bytes) + " bytes");
    }
    data.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

std::vector<TarEntry> read_tar(std::string_view bytes, const TarReadOptions& options) {
  const TarLimits& limits = options.limits;
  const bool gzip = options.compression == TarCompression::kGzip;
  const char* compression = gzip ? "gzip" : "zstd";
  const int filter = gzip ? ARCHIVE_FILTER_GZIP : ARCHIVE_FILTER_ZSTD;
  if (bytes.empty()) throw invalid("the file is empty (truncated?)");
  std::unique_ptr<struct archive, ReaderDeleter> owner(archive().read_new());
  struct archive* a = owner.get();
  if (!a) throw Error(ErrorKind::kInternal, "cannot allocate an archive reader");
  if (gzip) {
    archive().read_support_filter_gzip(a);
  } else {
    archive().read_support_filter_zstd(a);
  }
  archive().read_support_format_tar(a);
  if (archive().read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    throw invalid(std::string("not a ") + compression +
                  "-compressed tar archive (truncated?): " + libarchive_error(a));
  }
  std::vector<TarEntry> entries;
  while (true) {
    struct archive_entry* entry = nullptr;
    int status = archive().read_next_header(a, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_OK) {
      throw invalid("the tar stream is truncated or damaged: " + libarchive_error(a));
    }
    if (archive().filter_code(a, 0) != filter) {
      throw invalid(std::string("the tar stream is not compressed with ") + compression);
    }
    // Headers (and the pax or GNU long-name records libarchive reads for
    // them, each bounded by libarchive) count too: the whole decompressed
    // stream so far, not only the data of the entries.
    size_t expanded = static_cast<size_t>(archive().filter_bytes(a, 0));
    if (expanded > limits.max_expanded_bytes) throw expands_too_far(limits);
    const char* path = archive().entry_pathname(entry);
    if (!path) throw invalid("an entry has a name that cannot be decoded");
    std::string name(path);
    if (auto why = refused_path(name)) throw invalid(*why);
    if (auto why = refused_type(entry, name, options.allow_directories)) throw invalid(*why);
    if (entries.size() == limits.max_entries) {
      throw invalid("too many entries (more than " + std::to_string(limits.max_entries) + ")");
    }
    if (archive().entry_size_is_set(entry) &&
        static_cast<uint64_t>(archive().entry_size(entry)) > limits.max_entry_bytes) {
      throw invalid("entry '" + name + "' is larger than " +
                    std::to_string(limits.max_entry_bytes) + " bytes");
    }
    TarEntry out;
    out.path = std::move(name);
    out.directory = archive().entry_filetype(entry) == AE_IFDIR;
    if (!out.directory) out.data = read_entry_data(a, out.path, expanded, limits);
    entries.push_back(std::move(out));
  }
  if (entries.empty() && archive().filter_code(a, 0) != filter) {
    throw invalid(std::string("the tar stream is not compressed with ") + compression);
  }
  return entries;
}

}  // namespace kix
