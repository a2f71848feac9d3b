#include "compiler/helm_renderer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "manifest/document.h"
#include "util/diagnostics.h"
#include "util/error.h"
#include "util/temp_directory.h"

namespace kix::compiler {
namespace {

void write_private_file(const std::filesystem::path& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorKind::kIo, "cannot write " + path.string() + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw Error(ErrorKind::kIo, "cannot write " + path.string() + ": " + std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
  ::close(fd);
}

// Rendered charts are big (CRDs run to megabytes) but made by helm from a
// checked archive of at most 100 MiB.
ParseOptions rendered_parse_options() {
  ParseOptions options;
  options.limits.max_input_bytes = size_t{512} << 20;
  options.limits.max_document_bytes = size_t{64} << 20;
  options.limits.max_nodes = size_t{16} << 20;
  return options;
}

}  // namespace

// Helm's rule for release names (and Kubernetes' for namespaces): a DNS
// label. Anything else could also be read by helm as an option.
static bool dns_label(const std::string& name, size_t max) {
  if (name.empty() || name.size() > max || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::vector<RenderedDocument> HelmRenderer::render(const ChartRenderRequest& request) {
  const ChartArchive& chart = *request.chart;
  if (!dns_label(request.release, 53)) {
    throw Error(ErrorKind::kInvalidInput,
                "'" + request.release + "' cannot be the release name of chart " + chart.name, {},
                "a release name is at most 53 lowercase letters, digits and '-'");
  }
  if (!dns_label(request.ns, 63)) {
    throw Error(ErrorKind::kInvalidInput,
                "'" + request.ns + "' cannot be the namespace of chart " + chart.name, {},
                "a namespace is at most 63 lowercase letters, digits and '-'");
  }
  TempDirectory dir("kix-chart-");
  std::filesystem::path chart_dir = write_chart_directory(chart, dir.path());
  std::filesystem::path values = dir.path() / "values.json";
  write_private_file(values, request.values.dump());
  std::vector<std::string> argv = {helm_,         "template", request.release, chart_dir.string(),
                                   "--namespace", request.ns, "--values",      values.string()};
  if (request.include_crds) argv.push_back("--include-crds");
  argv.insert(argv.end(), {"--kube-version", request.kube_version});
  ProcessResult result;
  try {
    result = runner_.run(argv);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    // An environment's failure, not the definition's (kix package test
    // never records it as a case's expected error).
    throw Error(ErrorKind::kIo,
                "package renders the Helm chart " + chart.name + ", but helm (" + helm_ +
                    ") cannot be run: " + e.message(),
                {}, "install helm 3, or set KIX_HELM to its path");
  }
  if (result.exit_code != 0) {
    std::string said = result.err.empty() ? result.out : result.err;
    // Helm names the temporary directory; the chart's own name says more.
    for (size_t at = said.find(dir.path().string()); at != std::string::npos;
         at = said.find(dir.path().string(), at)) {
      said.replace(at, dir.path().string().size(), "<chart>");
    }
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    // The command as it ran, its temporary paths (gone by now) named for
    // what they held.
    std::vector<std::string> ran = argv;
    for (std::string& arg : ran) {
      if (arg == chart_dir.string()) arg = "<chart " + chart.name + "-" + chart.version + ">";
      if (arg == values.string()) arg = "<values from package.yaml>";
    }
    throw Error(ErrorKind::kInvalidInput,
                "helm template of " + chart.name + " " + chart.version + " failed (exit " +
                    std::to_string(result.exit_code) + "): " + said,
                {},
                "check the chart's values in package.yaml against the chart's values.yaml; kix "
                "ran: " +
                    shell_quote(ran));
  }
  // Split at document markers, keeping each document's "# Source:" line.
  std::vector<RenderedDocument> out;
  std::istringstream lines(result.out);
  std::string line, text, source;
  auto flush = [&] {
    if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
      Diagnostics ignored;
      const std::string where =
          "helm template " + chart.name + (source.empty() ? "" : ": " + source);
      for (Document& doc : parse_yaml(text, where, ignored, rendered_parse_options())) {
        if (doc.value.is_null()) continue;
        out.push_back({std::move(doc.value), source});
      }
    }
    text.clear();
    source.clear();
  };
  while (std::getline(lines, line)) {
    if (line == "---" || line.rfind("--- ", 0) == 0) {
      flush();
      continue;
    }
    if (line.rfind("# Source: ", 0) == 0 && source.empty()) source = line.substr(10);
    text += line;
    text += '\n';
  }
  flush();
  return out;
}

}  // namespace kix::compiler
