#include "compiler/lockfile.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "util/diagnostics.h"
#include "util/error.h"

namespace kix::compiler {
namespace {

// Errors point at the field's line when the reader recorded it.
class LockReader {
 public:
  LockReader(const Document& doc, std::string file) : doc_(doc), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw Error(ErrorKind::kInvalidInput, file_ + ": " + what, doc_.locate(pointer),
                "kix.lock is written by `kix lock`; run it again rather than editing the file");
  }

  void only(const Json& object, const std::string& pointer,
            const std::vector<std::string>& fields) const {
    if (!object.is_object())
      fail(pointer, (pointer.empty() ? "the file" : pointer) + " must be a map");
    for (const auto& [key, value] : object.items()) {
      if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
        fail(pointer + "/" + json_pointer_escape(key), "unknown field '" + key + "'");
      }
    }
  }

  std::string text(const Json& object, const std::string& pointer, const char* key,
                   bool required = true) const {
    auto it = object.find(key);
    if (it == object.end()) {
      if (required) fail(pointer, "missing field '" + std::string(key) + "'");
      return {};
    }
    if (!it->is_string()) fail(pointer + "/" + key, "'" + std::string(key) + "' must be a string");
    return it->get<std::string>();
  }

  Hash hash(const std::string& value, const std::string& pointer) const {
    std::string hex = value.rfind("sha256:", 0) == 0 ? value.substr(7) : value;
    auto h = Hash::from_hex(hex);
    if (!h) fail(pointer, "'" + value + "' is not a SHA-256 digest (64 hex digits)");
    return *h;
  }

 private:
  const Document& doc_;
  std::string file_;
};

}  // namespace

const LockedChart* Lockfile::find_chart(const std::string& repository, const std::string& name,
                                        const std::string& version) const {
  for (const LockedChart& c : charts) {
    if (c.repository == repository && c.name == name && c.version == version) return &c;
  }
  return nullptr;
}

void Lockfile::put_chart(LockedChart chart) {
  for (LockedChart& c : charts) {
    if (c.key() == chart.key()) {
      c = std::move(chart);
      return;
    }
  }
  charts.push_back(std::move(chart));
}

Lockfile read_lockfile(const std::filesystem::path& path) {
  const std::string file = path.string();
  Diagnostics ignored;
  ParseOptions options;
  options.record_locations = true;
  std::vector<Document> docs = parse_json(read_input(file), file, ignored, options);
  if (docs.size() != 1) {
    throw Error(ErrorKind::kInvalidInput, file + " must hold one JSON object", {file, 1, 1});
  }
  const Document& doc = docs[0];
  LockReader r(doc, file);
  const Json& root = doc.value;
  r.only(root, "", {"version", "charts", "images", "packages"});
  auto version = root.find("version");
  if (version == root.end() || !version->is_number_integer()) {
    r.fail("", "missing integer field 'version'");
  }
  if (version->get<long long>() > kLockVersion) {
    throw Error(ErrorKind::kConflict,
                file + " has lock format version " + std::to_string(version->get<long long>()) +
                    "; this kix reads version " + std::to_string(kLockVersion),
                doc.locate("/version"), "it was written by a newer kix: use that one");
  }
  if (version->get<long long>() != kLockVersion) r.fail("/version", "unknown lock format version");
  Lockfile lock;
  if (auto charts = root.find("charts"); charts != root.end()) {
    if (!charts->is_array()) r.fail("/charts", "'charts' must be a list");
    for (size_t i = 0; i < charts->size(); ++i) {
      const std::string at = "/charts/" + std::to_string(i);
      const Json& c = (*charts)[i];
      r.only(c, at, {"repository", "name", "version", "url", "sha256"});
      LockedChart chart{r.text(c, at, "repository"), r.text(c, at, "name"),
                        r.text(c, at, "version"), r.text(c, at, "url", false), Hash{}};
      chart.sha256 = r.hash(r.text(c, at, "sha256"), at + "/sha256");
      if (lock.find_chart(chart.repository, chart.name, chart.version)) {
        r.fail(at, "chart " + chart.name + " " + chart.version + " is listed twice");
      }
      lock.charts.push_back(std::move(chart));
    }
  }
  if (auto images = root.find("images"); images != root.end()) {
    if (!images->is_object()) r.fail("/images", "'images' must be a map");
    for (const auto& [image, digest] : images->items()) {
      const std::string at = "/images/" + json_pointer_escape(image);
      if (!digest.is_string()) r.fail(at, "the digest of " + image + " must be a string");
      r.hash(digest.get<std::string>(), at);
      if (digest.get<std::string>().rfind("sha256:", 0) != 0) {
        r.fail(at, "the digest of " + image + " must start with 'sha256:'");
      }
      lock.images.emplace(image, digest.get<std::string>());
    }
  }
  if (auto packages = root.find("packages"); packages != root.end()) {
    if (!packages->is_object()) r.fail("/packages", "'packages' must be a map");
    for (const auto& [name, entry] : packages->items()) {
      const std::string at = "/packages/" + json_pointer_escape(name);
      r.only(entry, at, {"source", "sha256"});
      lock.packages.emplace(name,
                            LockedPackage{r.text(entry, at, "source"),
                                          r.hash(r.text(entry, at, "sha256"), at + "/sha256")});
    }
  }
  return lock;
}

std::string lockfile_text(const Lockfile& lock) {
  std::vector<LockedChart> charts = lock.charts;
  std::sort(charts.begin(), charts.end(),
            [](const LockedChart& a, const LockedChart& b) { return a.key() < b.key(); });
  Json root = {{"version", kLockVersion}};
  Json chart_list = Json::array();
  for (const LockedChart& c : charts) {
    chart_list.push_back({{"repository", c.repository},
                          {"name", c.name},
                          {"version", c.version},
                          {"url", c.url},
                          {"sha256", c.sha256.hex()}});
  }
  root["charts"] = std::move(chart_list);
  root["images"] = Json::object();
  for (const auto& [image, digest] : lock.images) root["images"][image] = digest;
  root["packages"] = Json::object();
  for (const auto& [name, p] : lock.packages) {
    root["packages"][name] = {{"source", p.source}, {"sha256", p.sha256.hex()}};
  }
  // nlohmann's objects are sorted maps: dump gives sorted keys.
  return root.dump(2) + "\n";
}

Hash package_content_hash(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  Json files = Json::object();
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path relative = fs::relative(it->path(), dir);
    if (it.depth() == 0 && it->is_directory() && relative == "test") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) {
      throw Error(ErrorKind::kInvalidInput,
                  "package " + dir.string() + " holds a symbolic link, " + relative.string(), {},
                  "a package's content is hashed file by file: copy the file in instead");
    }
    if (!it->is_regular_file()) continue;
    if (it.depth() == 0 && relative == "README.md") continue;
    paths.push_back(relative);
  }
  for (const fs::path& relative : paths) {
    std::ifstream in(dir / relative, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof()) {
      throw Error(ErrorKind::kIo, "cannot read " + (dir / relative).string());
    }
    files[relative.generic_string()] = Hash::of(bytes.str()).hex();
  }
  return Hash::of(canonical_json(Json{{"files", std::move(files)}}));
}

}  // namespace kix::compiler
