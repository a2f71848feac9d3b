#include "cli/store_add_chart.h"

#include <filesystem>
#include <iostream>

#include "cli/chart_tools.h"
#include "compiler/plain_chart.h"
#include "manifest/document.h"
#include "util/atomic_file.h"

namespace kix::cli {
namespace {

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
  compiler::PlainChartRequest request;
  request.chart = args.chart;
  request.repo = args.repo;
  request.version = args.version;
  request.values = read_values(args.values);
  request.ns = args.ns;
  request.release = args.release;
  request.update_lock = args.update_lock;
  if (!args.sha256.empty()) {
    request.sha256 =
        Hash::from_hex(args.sha256.rfind("sha256:", 0) == 0 ? args.sha256.substr(7) : args.sha256);
    if (!request.sha256) {
      throw Error(ErrorKind::kInvalidInput, "--sha256 " + args.sha256 + " is not a SHA-256 digest");
    }
  }
  std::optional<compiler::Lockfile> lock;
  if (std::filesystem::exists(args.lock)) lock = compiler::read_lockfile(args.lock);
  request.lock = lock ? &*lock : nullptr;

  ChartTools tools(ctx, args.insecure);
  compiler::PlainChart chart = compiler::render_plain_chart(
      request, tools.source(), tools.uncached(), tools.renderer(), &ctx.keys());
  if (chart.new_lock_entry) {
    compiler::Lockfile updated = lock.value_or(compiler::Lockfile{});
    updated.put_chart(*chart.new_lock_entry);
    write_file_atomically(args.lock, compiler::lockfile_text(updated));
    std::cerr << "recorded chart " << chart.ref.describe() << " (sha256 "
              << chart.new_lock_entry->sha256.hex() << ") in " << args.lock << "\n";
  }
  ChartAddInput input;
  input.graph = std::move(chart.graph);
  input.source = chart.source;
  input.description = chart.ref.describe();
  return input;
}

}  // namespace kix::cli
