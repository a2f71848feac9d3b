#include "manifest/manifest.h"

#include "manifest/secret_sources.h"
#include "manifest/secrets.h"
#include "util/parallel_for.h"
#include "util/printable.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string_view>

namespace kix {

namespace fs = std::filesystem;

std::string_view ResourceIdView::group() const {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

std::string ResourceIdView::key() const {
  std::string key;
  key.reserve(group().size() + kind.size() + ns.size() + name.size() + 3);
  key.append(group()).append("/").append(kind).append("/").append(ns).append("/").append(name);
  return key;
}

std::string ResourceIdView::display() const {
  // One line, whatever the names hold (an archive or chart may carry any).
  std::string s = escape_controls(kind) + "/" + escape_controls(name);
  if (!ns.empty()) s += " @ " + escape_controls(ns);
  return s;
}

ResourceId ResourceIdView::id() const {
  return ResourceId{std::string(api_version), std::string(kind), std::string(ns),
                    std::string(name)};
}

std::string ResourceId::group() const {
  return std::string(view().group());
}

std::string ResourceId::key() const {
  return view().key();
}

std::string ResourceId::display() const {
  return view().display();
}

namespace {

const std::string* string_field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

Error invalid(const SourceLocation& where, std::string message, std::string hint) {
  return Error(ErrorKind::kInvalidInput, std::move(message), where, std::move(hint));
}

}  // namespace

Manifest make_manifest(Json value, const SourceLocation& where) {
  if (!value.is_object()) {
    throw invalid(
        where,
        std::string("a manifest must be a mapping, but this document is ") + value.type_name(),
        "each YAML document must be one Kubernetes object with apiVersion, kind and metadata");
  }
  Manifest m;
  const std::string* api = string_field(value, "apiVersion");
  const std::string* kind = string_field(value, "kind");
  if (api == nullptr || api->empty()) {
    throw invalid(where, "the manifest has no apiVersion",
                  "add e.g. 'apiVersion: v1' or 'apiVersion: apps/v1'");
  }
  if (kind == nullptr || kind->empty()) {
    throw invalid(where, "the manifest has no kind", "add e.g. 'kind: ConfigMap'");
  }
  auto meta = value.find("metadata");
  const std::string* name = nullptr;
  const std::string* ns = nullptr;
  if (meta != value.end() && meta->is_object()) {
    name = string_field(*meta, "name");
    ns = string_field(*meta, "namespace");
  }
  if (name == nullptr || name->empty()) {
    throw invalid(where, "the " + *kind + " has no metadata.name",
                  "kix identifies resources by name; generateName is not supported");
  }
  m.id = {*api, *kind, ns != nullptr ? *ns : std::string(), *name};
  // A recipe that deploy could not follow is refused where it is read.
  if (is_secret_source(m.id)) read_secret_source(value, where);
  try {
    m.canonical = canonical_json(value);
  } catch (Error& e) {
    throw invalid(where, e.message() + " in " + m.id.display(), e.hint());
  }
  m.blob = Hash::of(m.canonical);
  m.needs_sealing = is_secret(value) && has_secret_values(value);
  m.value = std::move(value);
  m.location = where;
  return m;
}

void append_manifests(std::vector<Document>&& docs, std::vector<Manifest>& out) {
  for (auto& d : docs) {
    if (d.value.is_null()) continue;
    if (d.value.is_object()) {
      const std::string* kind = string_field(d.value, "kind");
      auto items = d.value.find("items");
      if (kind != nullptr && kind->ends_with("List") && items != d.value.end() &&
          items->is_array()) {
        size_t i = 0;
        for (auto& item : *items) {
          SourceLocation where = d.locate("/items/" + std::to_string(i));
          if (where.line == d.location.line && where.file == d.location.file) {
            where = d.location;
          }
          out.push_back(make_manifest(std::move(item), where));
          ++i;
        }
        continue;
      }
    }
    out.push_back(make_manifest(std::move(d.value), d.location));
  }
}

namespace {

bool is_manifest_name(std::string_view name) {
  return name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
}

// Appends the manifest files under directory `dir` in path order: each
// directory's entries sorted by name, a subdirectory's files in its place
// (what sorting the whole list of paths component by component gives).
// Hidden entries (.git) are skipped, a subdirectory reached through a
// symbolic link is not entered, and one that cannot be read is skipped.
// readdir's entry types spare a stat per file; listing is a visible part of
// an incremental add, which otherwise reads almost nothing.
void list_manifest_files(const std::string& dir, const std::function<void(std::string_view)>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == EACCES) return;
    throw Error(ErrorKind::kIo, "cannot list " + dir + ": " + std::strerror(errno), {},
                "check the directory and its permissions");
  }
  struct Entry {
    std::string name;
    bool directory;
  };
  std::vector<Entry> entries;
  const std::string prefix = dir.ends_with('/') ? dir : dir + "/";
  for (;;) {
    // readdir reports an error only through errno, which a stat below may
    // have set: clear it before each call and read it right after.
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    bool directory = e->d_type == DT_DIR;
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st {};
      std::string full = prefix + std::string(name);
      if (::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        directory = true;
      } else if (::stat(full.c_str(), &st) == 0) {
        regular = S_ISREG(st.st_mode);
      }
    }
    if (directory || (regular && is_manifest_name(name))) {
      entries.push_back(Entry{std::string(name), directory});
    }
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) {
    throw Error(ErrorKind::kIo, "cannot list " + dir + ": " + std::strerror(err), {},
                "check the directory and its permissions");
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  for (const Entry& e : entries) {
    if (e.directory) {
      list_manifest_files(prefix + e.name, out);
    } else {
      out(prefix + e.name);
    }
  }
}

}  // namespace

std::vector<std::string> manifest_files(const fs::path& path) {
  std::vector<std::string> files;
  for_each_manifest_file(path, [&](std::string_view file) { files.emplace_back(file); });
  return files;
}

void for_each_manifest_file(const fs::path& path,
                            const std::function<void(std::string_view)>& each) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(
        ErrorKind::kNotFound, "no such file or directory: " + path.string(), {},
        "check the path; kix reads YAML or JSON files, directories of them, or - for stdin");
  }
  if (!fs::is_directory(path, ec)) {
    each(path.string());
    return;
  }
  list_manifest_files(path.string(), each);
}

namespace {

// What reading one file produced; files are read in parallel and their
// results joined in file order, so output never depends on scheduling.
struct FileResult {
  std::vector<Manifest> manifests;
  Diagnostics diags;
  std::exception_ptr error;
};

void load_file(const std::string& f, const ParseOptions& options, FileResult& result) {
  try {
    append_manifests(parse_input(f, result.diags, options), result.manifests);
  } catch (...) {
    result.error = std::current_exception();
  }
}

}  // namespace

std::vector<Manifest> load_manifests(const std::vector<std::string>& paths, Diagnostics& diags,
                                     const ParseOptions& options) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (p == "-") {
      files.push_back("-");
    } else {
      for (auto& f : manifest_files(p)) files.push_back(std::move(f));
    }
  }
  // Parsing dominates ingest and every file is independent: spread the
  // files over the cores, each worker taking the next unclaimed file.
  std::vector<FileResult> results(files.size());
  parallel_for(files.size(), files.size() < 16 ? 1 : default_parallelism(),
               [&](size_t i) { load_file(files[i], options, results[i]); });

  std::vector<Manifest> out;
  size_t total = 0;
  for (const auto& r : results) total += r.manifests.size();
  out.reserve(total);
  for (auto& r : results) {
    diags.append(r.diags);
    // The first failing file in order decides the error, as a serial read would.
    if (r.error) std::rethrow_exception(r.error);
    for (auto& m : r.manifests) out.push_back(std::move(m));
  }
  return out;
}

namespace {

// ResourceId::key() as the pieces it joins, so that keys compare exactly as
// the joined strings do without building them.
std::array<std::string_view, 7> key_pieces(const ResourceIdView& id) {
  return {id.group(), "/", id.kind, "/", id.ns, "/", id.name};
}

int compare_keys(const ResourceIdView& x, const ResourceIdView& y) {
  auto a = key_pieces(x), b = key_pieces(y);
  size_t ia = 0, oa = 0, ib = 0, ob = 0;
  while (true) {
    while (ia < a.size() && oa == a[ia].size()) ++ia, oa = 0;
    while (ib < b.size() && ob == b[ib].size()) ++ib, ob = 0;
    if (ia == a.size() || ib == b.size())
      return (ia == a.size() ? 0 : 1) - (ib == b.size() ? 0 : 1);
    size_t n = std::min(a[ia].size() - oa, b[ib].size() - ob);
    int c = std::char_traits<char>::compare(a[ia].data() + oa, b[ib].data() + ob, n);
    if (c != 0) return c < 0 ? -1 : 1;
    oa += n;
    ob += n;
  }
}

}  // namespace

void check_unique_identities(const std::vector<Manifest>& manifests) {
  check_unique_identities(
      manifests.size(), [&](size_t i) { return manifests[i].id.view(); },
      [&](size_t i) { return manifests[i].location; });
}

void check_unique_identities(size_t count, const std::function<ResourceIdView(size_t)>& id,
                             const std::function<SourceLocation(size_t)>& location) {
  // The first resource (in input order) whose key an earlier one has: found
  // by sorting indices, 8 bytes per resource instead of a map of keys.
  std::vector<size_t> order(count);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return compare_keys(id(a), id(b)) < 0; });
  size_t twice = count, first_of_twice = 0;
  for (size_t k = 1; k < order.size(); ++k) {
    // Runs of equal keys are in input order: the run's first is the first
    // definition, its second the first repeat.
    if (compare_keys(id(order[k - 1]), id(order[k])) != 0) continue;
    if (order[k] < twice) {
      twice = order[k];
      first_of_twice = order[k - 1];
    }
    while (k + 1 < order.size() && compare_keys(id(order[k]), id(order[k + 1])) == 0) ++k;
  }
  std::vector<size_t>().swap(order);
  // A RequiredSecret or GeneratedSecret is the Secret of its name in the
  // cluster: two of them, or one beside the Secret itself, would fight.
  std::map<std::string, size_t> secrets;
  for (size_t i = 0; i < count; ++i) {
    const ResourceIdView rid = id(i);
    if (i == twice) {
      throw Error(ErrorKind::kConflict, rid.display() + " is defined twice", location(i),
                  "first defined at " + location(first_of_twice).str() +
                      "; every resource (kind, namespace, name) may appear once");
    }
    if (!is_secret_source(rid) && !(rid.kind == "Secret" && rid.group().empty())) continue;
    auto [other, fresh] = secrets.emplace(std::string(rid.ns) + '\0' + std::string(rid.name), i);
    if (fresh) continue;
    throw Error(ErrorKind::kConflict,
                rid.display() + " and " + id(other->second).display() + " are the same Secret",
                location(i),
                "first defined at " + location(other->second).str() +
                    "; a Secret is either written out, required or generated, once");
  }
}

}  // namespace kix
