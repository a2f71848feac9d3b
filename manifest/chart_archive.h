// Helm chart archives (.tgz) read as hostile input: every entry is checked
// by util/tar_reader.h (no absolute, "..", Windows or drive-letter paths, no
// links, devices or FIFOs, bounded entries and expanded size), then the
// layout is checked as Helm's loader does (one top directory, Chart.yaml in
// it with apiVersion, name and version), and so is every subchart archive
// under charts/, recursively. Nothing touches the disk until
// write_chart_directory, which writes only what was checked.
//
// Thread-safety: pure functions (write_chart_directory writes below `dir`).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "manifest/canonical_json.h"

namespace kix {

struct ChartArchiveLimits {
  // Helm's own loader allows 100 MiB expanded and 5 MiB a file.
  size_t max_expanded_bytes = size_t{100} << 20;
  size_t max_file_bytes = size_t{5} << 20;
  size_t max_entries = 10000;
  int max_subchart_depth = 5;
};

struct ChartArchive {
  std::string name;         // Chart.yaml name (= the top directory)
  std::string version;      // Chart.yaml version
  std::string app_version;  // Chart.yaml appVersion ("" when absent)
  Json chart_yaml;          // Chart.yaml, parsed
  // Every file, by its path below the top directory ("Chart.yaml",
  // "templates/deployment.yaml", "charts/sub-0.1.0.tgz").
  std::map<std::string, std::string> files;
};

// Reads and checks a chart archive. `source` names it in errors (a URL or
// a path). Throws kix::Error(kInvalidInput) saying what is wrong, with a
// hint; nothing is written.
ChartArchive read_chart_archive(std::string_view bytes, const std::string& source,
                                const ChartArchiveLimits& limits = {});

// Writes the chart's files below `dir`/<name>/ (directories 0700, files
// 0600) and returns that chart directory. `dir` must exist and be empty of
// the chart's name. Throws kIo when writing fails.
std::filesystem::path write_chart_directory(const ChartArchive& chart,
                                            const std::filesystem::path& dir);

}  // namespace kix
