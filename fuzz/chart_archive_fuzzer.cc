// Chart archives come from repositories kix does not control: whatever the
// bytes, read_chart_archive either throws kix::Error or returns a chart
// whose every file path stays inside it, with a Chart.yaml naming it.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_invariants.h"
#include "manifest/chart_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kix::ChartArchiveLimits limits;
  limits.max_expanded_bytes = 8u << 20;  // keep each run small
  limits.max_entries = 2048;
  try {
    kix::ChartArchive chart = kix::read_chart_archive(bytes, "fuzz.tgz", limits);
    kix::fuzz::require(!chart.name.empty() && !chart.version.empty(),
                       "a chart has a name and version");
    kix::fuzz::require(chart.files.count("Chart.yaml") == 1, "a chart has its Chart.yaml");
    for (const auto& [path, data] : chart.files) {
      kix::fuzz::require(!path.empty() && path.front() != '/', "paths are relative");
      kix::fuzz::require(path.find('\\') == std::string::npos, "paths have no backslash");
      kix::fuzz::require(path != ".." && path.rfind("../", 0) != 0 &&
                             path.find("/../") == std::string::npos &&
                             (path.size() < 3 || path.compare(path.size() - 3, 3, "/..") != 0),
                         "paths stay inside the chart");
      kix::fuzz::require(data.size() <= limits.max_file_bytes, "files are within the limit");
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
