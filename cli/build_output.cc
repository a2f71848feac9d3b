#include "cli/build_output.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <set>

#include "manifest/yaml_writer.h"
#include "util/error.h"

namespace kix::cli {

namespace fs = std::filesystem;

namespace {

std::string file_part(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

}  // namespace

void check_result_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::kConflict, dir.string() + " exists and is not a directory", {},
                "choose another output with -o DIR");
  }
  if (fs::is_empty(dir, ec) || fs::exists(dir / "root", ec)) return;
  throw Error(
      ErrorKind::kConflict,
      dir.string() + " is not empty and is not an earlier kix result (it has no `root` file)", {},
      "choose another output with -o DIR, or remove it");
}

namespace {

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw Error(ErrorKind::kIo, "cannot write " + path.string(), {},
                "check free space and permissions");
}

}  // namespace

std::vector<std::string> result_file_names(const Graph& graph) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (size_t i = 0; i < graph.manifests.size(); ++i) {
    const ResourceId& id = graph.manifests[i].id;
    std::string base = (id.ns.empty() ? std::string("_cluster") : file_part(id.ns)) + "_" +
                       file_part(id.kind) + "_" + file_part(id.name);
    std::string name = base + ".yaml";
    if (!used.insert(name).second) {
      name = base + "_" + graph.nodes[i].hex().substr(0, 12) + ".yaml";
      used.insert(name);
    }
    names.push_back(std::move(name));
  }
  return names;
}

void write_build_result(const fs::path& given, const Graph& graph, const Hash& root) {
  // "out/" names the directory out: without this, its temporary sibling
  // would be created inside it.
  fs::path dir = given.lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  check_result_dir(dir);
  fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  std::string tmp_name(1, '.');
  tmp_name += dir.filename().string();
  tmp_name += ".tmp-";
  tmp_name += std::to_string(getpid());
  fs::path tmp = parent / tmp_name;
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot create " + tmp.string() + ": " + ec.message());
  try {
    std::vector<std::string> names = result_file_names(graph);
    for (size_t i = 0; i < names.size(); ++i)
      write_file(tmp / names[i], to_yaml(graph.manifests[i].value));
    write_file(tmp / "root", root.hex() + "\n");
    // The old result is moved aside rather than deleted first, so that `dir`
    // is missing only between two renames, never half-written.
    fs::path old = parent / ("." + dir.filename().string() + ".old-" + std::to_string(getpid()));
    fs::remove_all(old, ec);
    const bool had_old = fs::exists(dir);
    if (had_old) fs::rename(dir, old);
    try {
      fs::rename(tmp, dir);
    } catch (...) {
      if (had_old) fs::rename(old, dir, ec);
      throw;
    }
    fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(ErrorKind::kIo, std::string("cannot write the result: ") + e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace kix::cli
