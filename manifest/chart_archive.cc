#include "manifest/chart_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "manifest/document.h"
#include "util/diagnostics.h"
#include "util/error.h"
#include "util/tar_reader.h"

namespace kix {
namespace {

Error refused(const std::string& source, const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "chart " + source + " is refused: " + what, {},
               "kix reads only chart archives made by `helm package`; check where it came "
               "from before trusting it");
}

std::string string_of(const Json& chart, const char* key) {
  auto it = chart.find(key);
  if (it == chart.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

// A name Helm accepts for a chart (and so for its directory).
bool plausible_chart_name(const std::string& name) {
  if (name.empty() || name.size() > 250 || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// What is left of the limits for the whole chart, subcharts included: a
// subchart does not get fresh limits of its own.
struct Budget {
  size_t bytes;
  size_t entries;
};

ChartArchive read_at_depth(std::string_view bytes, const std::string& source,
                           const ChartArchiveLimits& limits, int depth, Budget& budget) {
  TarReadOptions options;
  options.compression = TarCompression::kGzip;
  options.allow_directories = true;
  options.limits = {budget.bytes, budget.entries, limits.max_file_bytes};
  std::vector<TarEntry> entries;
  try {
    entries = read_tar(bytes, options);
  } catch (const Error& e) {
    throw refused(source, e.message());
  }
  size_t expanded = 0;
  for (const TarEntry& entry : entries) expanded += entry.data.size() + 512;  // data and header
  budget.bytes -= std::min(budget.bytes, expanded);
  budget.entries -= std::min(budget.entries, entries.size());
  ChartArchive chart;
  std::string top;
  for (TarEntry& entry : entries) {
    std::string path = entry.path;
    // "./chart/x" is how some tools write it; Helm strips it too.
    while (path.rfind("./", 0) == 0) path.erase(0, 2);
    auto slash = path.find('/');
    std::string first = path.substr(0, slash);
    if (first.empty()) throw refused(source, "entry '" + entry.path + "' has an empty directory");
    if (top.empty()) top = first;
    if (first != top) {
      throw refused(source, "entries are in two top directories, '" + top + "' and '" + first +
                                "'; a chart has one");
    }
    if (entry.directory) continue;
    if (slash == std::string::npos) {
      throw refused(source, "file '" + entry.path + "' is not inside the chart's directory");
    }
    std::string inner = path.substr(slash + 1);
    if (inner.empty() || inner.back() == '/') continue;
    if (!chart.files.emplace(inner, std::move(entry.data)).second) {
      throw refused(source, "file '" + entry.path + "' appears twice");
    }
  }
  if (top.empty()) throw refused(source, "it holds no files");
  auto chart_yaml = chart.files.find("Chart.yaml");
  if (chart_yaml == chart.files.end()) {
    throw refused(source, "there is no Chart.yaml in its directory '" + top + "'");
  }
  Diagnostics ignored;
  std::vector<Document> docs;
  try {
    docs = parse_yaml(chart_yaml->second, source + ": " + top + "/Chart.yaml", ignored);
  } catch (const Error& e) {
    throw refused(source, "Chart.yaml does not read: " + e.message());
  }
  if (docs.size() != 1 || !docs[0].value.is_object()) {
    throw refused(source, "Chart.yaml is not one mapping");
  }
  chart.chart_yaml = docs[0].value;
  chart.name = string_of(chart.chart_yaml, "name");
  chart.version = string_of(chart.chart_yaml, "version");
  chart.app_version = string_of(chart.chart_yaml, "appVersion");
  if (string_of(chart.chart_yaml, "apiVersion").empty()) {
    throw refused(source, "Chart.yaml has no apiVersion");
  }
  if (!plausible_chart_name(chart.name)) {
    throw refused(source, "Chart.yaml's name '" + chart.name + "' is not a chart name");
  }
  if (chart.version.empty()) throw refused(source, "Chart.yaml has no version");
  if (chart.name != top) {
    throw refused(source, "Chart.yaml names the chart '" + chart.name + "' but its directory is '" +
                              top + "'");
  }
  // Subcharts are archives too, and Helm unpacks them itself: check them
  // with the same rules before Helm sees them.
  for (const auto& [path, data] : chart.files) {
    if (path.rfind("charts/", 0) != 0 || path.size() < 4 ||
        path.compare(path.size() - 4, 4, ".tgz") != 0 || path.find('/', 7) != std::string::npos) {
      continue;
    }
    if (depth >= limits.max_subchart_depth) {
      throw refused(source, "subcharts are nested more than " +
                                std::to_string(limits.max_subchart_depth) + " deep");
    }
    if (budget.bytes == 0 || budget.entries == 0) {
      throw refused(source, "with its subcharts, it expands to more than " +
                                std::to_string(limits.max_expanded_bytes) + " bytes or " +
                                std::to_string(limits.max_entries) + " entries");
    }
    read_at_depth(data, source + " (subchart " + path + ")", limits, depth + 1, budget);
  }
  return chart;
}

void make_private_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(ErrorKind::kIo, "cannot create " + dir.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

ChartArchive read_chart_archive(std::string_view bytes, const std::string& source,
                                const ChartArchiveLimits& limits) {
  Budget budget{limits.max_expanded_bytes, limits.max_entries};
  return read_at_depth(bytes, source, limits, 0, budget);
}

std::filesystem::path write_chart_directory(const ChartArchive& chart,
                                            const std::filesystem::path& dir) {
  std::filesystem::path root = dir / chart.name;
  make_private_dir(root);
  for (const auto& [path, data] : chart.files) {
    std::filesystem::path target = root;
    size_t start = 0;
    // Each directory is made by kix (0700): read_chart_archive refused
    // every path that could leave `root`.
    while (true) {
      size_t slash = path.find('/', start);
      if (slash == std::string::npos) break;
      target /= path.substr(start, slash - start);
      make_private_dir(target);
      start = slash + 1;
    }
    target /= path.substr(start);
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      throw Error(ErrorKind::kIo, "cannot write " + target.string() + ": " + std::strerror(errno));
    }
    size_t written = 0;
    while (written < data.size()) {
      ssize_t n = ::write(fd, data.data() + written, data.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno;
        ::close(fd);
        throw Error(ErrorKind::kIo, "cannot write " + target.string() + ": " + std::strerror(err));
      }
      written += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  return root;
}

}  // namespace kix
