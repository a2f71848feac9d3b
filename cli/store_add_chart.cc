#include "cli/store_add_chart.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/chart_tools.h"
#include "compiler/chart_resources.h"
#include "compiler/lockfile.h"
#include "manifest/document.h"
#include "manifest/secret_seal.h"
#include "util/atomic_file.h"

namespace kix::cli {
namespace {

compiler::ChartRef chart_ref(const ChartAddArgs& args) {
  compiler::ChartRef ref;
  ref.version = args.version;
  if (args.chart.rfind("oci://", 0) == 0) {
    auto slash = args.chart.rfind('/');
    ref.repository = args.chart.substr(0, slash);
    ref.name = args.chart.substr(slash + 1);
    if (!args.repo.empty()) {
      throw Error(ErrorKind::kInvalidInput, "--repo is for HTTP(S) repositories, not oci://", {},
                  "give the chart as oci://registry/path/NAME alone");
    }
  } else if (!args.repo.empty()) {
    ref.repository = args.repo;
    ref.name = args.chart;
  } else {
    // A local archive: its Chart.yaml says what it is.
    std::ifstream in(args.chart, std::ios::binary);
    if (!in) {
      throw Error(ErrorKind::kNotFound, "chart " + args.chart + " cannot be read", {},
                  "give a .tgz path, oci://registry/path/NAME, or NAME with --repo URL");
    }
    std::stringstream bytes;
    bytes << in.rdbuf();
    ChartArchive archive = read_chart_archive(bytes.str(), args.chart);
    ref.repository = std::filesystem::absolute(args.chart).lexically_normal().string();
    ref.name = archive.name;
    if (ref.version.empty()) ref.version = archive.version;
  }
  if (ref.version.empty()) {
    throw Error(ErrorKind::kInvalidInput, "--version is required for chart " + args.chart, {},
                "charts are pinned by name, version and digest");
  }
  return ref;
}

Json read_values(const std::string& path) {
  if (path.empty()) return Json::object();
  Diagnostics diags;
  std::vector<Document> docs = parse_input(path, diags);
  if (docs.empty()) return Json::object();
  if (docs.size() != 1 || !(docs[0].value.is_object() || docs[0].value.is_null())) {
    throw Error(ErrorKind::kInvalidInput, path + " must hold one map of values", {path, 1, 1});
  }
  return docs[0].value.is_null() ? Json::object() : docs[0].value;
}

}  // namespace

ChartAddInput read_chart_input(const ChartAddArgs& args, Context& ctx) {
  compiler::ChartRef ref = chart_ref(args);
  const Json values = read_values(args.values);
  ChartTools tools(ctx, args.insecure);

  std::optional<Hash> pin;
  if (!args.sha256.empty()) {
    pin =
        Hash::from_hex(args.sha256.rfind("sha256:", 0) == 0 ? args.sha256.substr(7) : args.sha256);
    if (!pin)
      throw Error(ErrorKind::kInvalidInput, "--sha256 " + args.sha256 + " is not a SHA-256 digest");
  }
  std::optional<compiler::Lockfile> lock;
  if (std::filesystem::exists(args.lock)) lock = compiler::read_lockfile(args.lock);
  if (!pin && lock) {
    if (const compiler::LockedChart* entry =
            lock->find_chart(ref.repository, ref.name, ref.version)) {
      pin = entry->sha256;
    }
  }
  if (!pin) {
    compiler::FetchedChart probe = tools.fetch_unpinned(ref);
    if (!args.update_lock) {
      throw Error(ErrorKind::kNotFound,
                  "chart " + ref.describe() + " is not pinned; the archive served now has sha256 " +
                      probe.sha256.hex(),
                  {},
                  "pass --sha256 " + probe.sha256.hex() +
                      " to accept it, or --update-lock to "
                      "record it in " +
                      args.lock);
    }
    compiler::Lockfile updated = lock.value_or(compiler::Lockfile{});
    updated.put_chart({ref.repository, ref.name, ref.version, probe.url, probe.sha256});
    write_file_atomically(args.lock, compiler::lockfile_text(updated));
    std::cerr << "recorded chart " << ref.describe() << " (sha256 " << probe.sha256.hex() << ") in "
              << args.lock << "\n";
    pin = probe.sha256;
  }
  compiler::FetchedChart fetched = tools.source().fetch(ref, pin);
  compiler::ChartRenderRequest request;
  request.chart = &fetched.archive;
  request.release = args.release.empty() ? ref.name : args.release;
  request.ns = args.ns;
  request.values = values;
  compiler::ChartResources rendered = compiler::chart_resources(
      tools.renderer().render(request), args.ns, ref.name + " " + ref.version, {});
  std::vector<std::vector<size_t>> refs(rendered.manifests.size());
  std::vector<std::vector<std::string>> reasons(rendered.manifests.size());
  for (size_t k = 0; k < rendered.refs.size(); ++k) {
    for (const auto& [to, reason] : rendered.refs[k]) {
      refs[k].push_back(to);
      reasons[k].push_back(reason);
    }
  }
  check_unique_identities(rendered.manifests);
  seal_manifests(rendered.manifests, ctx.keys());
  ChartAddInput input;
  input.graph = build_graph(std::move(rendered.manifests), std::move(refs), std::move(reasons));
  input.source = fetched.sha256;
  input.description = ref.describe();
  return input;
}

}  // namespace kix::cli
