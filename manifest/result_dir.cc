#include "manifest/result_dir.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>

#include "manifest/cluster_name.h"
#include "manifest/document.h"
#include "manifest/manifest.h"
#include "manifest/secret_seal.h"
#include "manifest/secrets.h"
#include "manifest/yaml_writer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/new_file_batch.h"
#include "util/parallel_for.h"

namespace kix {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRootFile = "root";
constexpr const char* kGraphFile = "graph";
constexpr size_t kNodeSuffixDigits = 16;
// The graph file is small (about 300 bytes per resource); a larger one is
// not a graph file kix wrote.
constexpr uintmax_t kMaxGraphFileBytes = 256u << 20;

std::string file_part(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  }
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "DIR" for messages: the path as given, without a trailing slash.
fs::path clean(const fs::path& given) {
  fs::path dir = given.lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

std::string read_small_file(const fs::path& path, uintmax_t limit) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) throw io_error("cannot read", path, ec.value());
  if (size > limit) {
    throw Error(ErrorKind::kInvalidInput,
                path.string() + " is " + std::to_string(size) + " bytes, more than a kix result " +
                    "file can be",
                {}, "the directory was not written by kix");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot read", path, errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::optional<Hash> read_root_file(const fs::path& path) {
  std::error_code ec;
  if (fs::symlink_status(path, ec).type() != fs::file_type::regular) return std::nullopt;
  if (fs::file_size(path, ec) > Hash::kHexSize + 1) return std::nullopt;
  std::string text = read_small_file(path, Hash::kHexSize + 1);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return Hash::from_hex(text);
}

// Why `dir` may not be replaced by a result, or nullopt when it may.
std::optional<std::string> foreign_entry(const fs::path& dir) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(dir, ec);
  if (st.type() == fs::file_type::not_found) return std::nullopt;
  if (st.type() != fs::file_type::directory) return "it exists and is not a directory";
  bool has_root = false;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return "it cannot be listed (" + ec.message() + ")";
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    fs::file_type type = fs::symlink_status(dir / name, ec).type();
    if (name == kRootFile) {
      if (!read_root_file(dir / name)) return "its `root` file is not a root hash";
      has_root = true;
      continue;
    }
    if (type == fs::file_type::directory) return "it holds the directory '" + name + "'";
    if (type != fs::file_type::regular)
      return "it holds '" + name + "', which is not a regular file";
    if (name == kGraphFile || ends_with(name, ".yaml")) continue;
    return "it holds '" + name + "', which kix does not write";
  }
  if (!names.empty() && !has_root) return "it is not empty and has no `root` file";
  return std::nullopt;
}

int rename_exchange(const fs::path& a, const fs::path& b) {
#ifdef RENAME_EXCHANGE
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Puts the directory `fresh` in place of `dir` and returns where the old
// content of `dir` went (empty when there was none), or throws kIo with
// nothing changed.
fs::path swap_in(const fs::path& fresh, const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) {
    if (::rename(fresh.c_str(), dir.c_str()) != 0) throw io_error("cannot create", dir, errno);
    return {};
  }
  // One atomic exchange where the file system offers it: DIR is never
  // missing, not even between two renames.
  if (rename_exchange(fresh, dir) == 0) return fresh;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw io_error("cannot replace", dir, errno);
  }
  fs::path old = temporary_sibling(dir, "old");
  fs::remove_all(old, ec);
  if (::rename(dir.c_str(), old.c_str()) != 0) throw io_error("cannot replace", dir, errno);
  if (::rename(fresh.c_str(), dir.c_str()) != 0) {
    int err = errno;
    ::rename(old.c_str(), dir.c_str());
    throw io_error("cannot replace", dir, err);
  }
  return old;
}

// Undoes swap_in: `dir` gets its old content back (from `old`, or nothing),
// and the new one is removed.
void swap_back(const fs::path& dir, const fs::path& old) {
  std::error_code ec;
  if (old.empty()) {
    fs::remove_all(dir, ec);
    return;
  }
  if (rename_exchange(old, dir) == 0) {
    fs::remove_all(old, ec);
    return;
  }
  fs::path discard = temporary_sibling(dir, "discard");
  if (::rename(dir.c_str(), discard.c_str()) == 0) {
    ::rename(old.c_str(), dir.c_str());
    fs::remove_all(discard, ec);
  }
}

// A Secret read without its key: there is nothing to write but its HMACs,
// which must never be applied as its values.
bool is_withheld(const Manifest& m) {
  return !m.values_known && m.sealed != nullptr;
}

Json graph_json(const Graph& graph, const std::vector<std::string>& names,
                const std::string& cluster, const Hash& root) {
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
  Json resources = Json::array();
  for (size_t i : order) {
    Json refs = Json::array();
    std::vector<std::pair<std::string, std::string>> edges;
    for (size_t k = 0; k < graph.refs[i].size(); ++k) {
      edges.emplace_back(names[graph.refs[i][k]],
                         k < graph.ref_reasons[i].size() ? graph.ref_reasons[i][k] : "");
    }
    std::sort(edges.begin(), edges.end());
    for (auto& [file, reason] : edges) refs.push_back({{"file", file}, {"reason", reason}});
    Json entry{{"file", names[i]},
               {"node", graph.nodes[i].hex()},
               {"blob", graph.manifests[i].blob.hex()},
               {"refs", std::move(refs)}};
    if (is_withheld(graph.manifests[i])) entry["withheld"] = graph.manifests[i].sealed->key_id;
    resources.push_back(std::move(entry));
  }
  return Json{{"v", 1}, {"cluster", cluster}, {"root", root.hex()}, {"resources", resources}};
}

// The graph file: one resource a line, so that two results diff well.
std::string graph_text(const Json& g) {
  std::string out = "{\"v\":1,\"cluster\":" + g["cluster"].dump() +
                    ",\"root\":" + g["root"].dump() + ",\"resources\":[\n";
  const Json& resources = g["resources"];
  for (size_t i = 0; i < resources.size(); ++i) {
    out += resources[i].dump();
    out += i + 1 < resources.size() ? ",\n" : "\n";
  }
  out += "]}\n";
  return out;
}

}  // namespace

std::vector<std::string> result_file_names(const Graph& graph) {
  std::vector<std::string> bases;
  std::map<std::string, size_t> count;
  for (const Manifest& m : graph.manifests) {
    const ResourceId& id = m.id;
    std::string base = (id.ns.empty() ? std::string("_cluster") : file_part(id.ns)) + "_" +
                       file_part(id.kind) + "_" + file_part(id.name);
    ++count[base];
    bases.push_back(std::move(base));
  }
  const size_t suffix = 1 + kNodeSuffixDigits + 5;  // "_" hex ".yaml"
  std::vector<std::string> names;
  for (size_t i = 0; i < bases.size(); ++i) {
    std::string& base = bases[i];
    if (count[base] == 1 && base.size() + 5 <= kMaxResultFileName) {
      names.push_back(base + ".yaml");
      continue;
    }
    if (base.size() + suffix > kMaxResultFileName) base.resize(kMaxResultFileName - suffix);
    names.push_back(base + "_" + graph.nodes[i].hex().substr(0, kNodeSuffixDigits) + ".yaml");
  }
  return names;
}

void check_result_dir(const fs::path& given) {
  fs::path dir = clean(given);
  if (auto why = foreign_entry(dir)) {
    throw Error(ErrorKind::kConflict,
                dir.string() + " is not empty and is not a kix result: " + *why, {},
                "kix replaces only an earlier result (a `root` file and *.yaml files) or an "
                "empty directory; choose another output with -o DIR");
  }
}

void write_result_dir(const fs::path& given, const Graph& graph, const std::string& cluster,
                      const Hash& root, const std::function<void()>& record) {
  fs::path dir = clean(given);
  std::error_code ec;
  // A link to a directory: the result goes where it points, the link stays.
  if (fs::is_symlink(dir, ec)) dir = fs::weakly_canonical(dir, ec);
  check_result_dir(dir);
  fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  if (!fs::is_directory(parent, ec)) {
    throw Error(ErrorKind::kNotFound, "the directory " + parent.string() + " does not exist", {},
                "create it first, or choose another output with -o DIR");
  }
  remove_stale_siblings(dir);

  // A result holding a Secret is for its owner only: 0700 and 0600 from the
  // first byte, so the values are never readable by others, not even while
  // they are written.
  const bool holds_secret = std::any_of(graph.manifests.begin(), graph.manifests.end(),
                                        [](const Manifest& m) { return is_secret(m.value); });
  const mode_t dir_mode = holds_secret ? 0700 : 0777;
  const mode_t file_mode = holds_secret ? 0600 : 0644;
  fs::path fresh = temporary_sibling(dir, "tmp");
  fs::remove_all(fresh, ec);
  if (::mkdir(fresh.c_str(), dir_mode) != 0) throw io_error("cannot create", fresh, errno);
  fs::path old;
  bool published = false;
  try {
    std::vector<std::string> names = result_file_names(graph);
    std::vector<size_t> written;  // withheld Secrets have no file
    for (size_t i = 0; i < names.size(); ++i) {
      if (!is_withheld(graph.manifests[i])) written.push_back(i);
    }
    write_new_files(
        written.size(),
        [&](size_t k) {
          const size_t i = written[k];
          return NewFile{fresh / names[i], to_yaml(graph.manifests[i].value)};
        },
        file_mode);
    write_new_file(fresh / kGraphFile, graph_text(graph_json(graph, names, cluster, root)),
                   file_mode);
    write_new_file(fresh / kRootFile, root.hex() + "\n", file_mode);
    sync_directory(fresh);
    check_result_dir(dir);  // again: it may have changed while we wrote
    old = swap_in(fresh, dir);
    published = true;
    sync_directory(parent);
    if (record) record();
  } catch (...) {
    if (published) {
      swap_back(dir, old);
    } else {
      fs::remove_all(fresh, ec);
    }
    throw;
  }
  if (!old.empty()) fs::remove_all(old, ec);
}

bool is_result_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::symlink_status(dir / kRootFile, ec).type() == fs::file_type::regular &&
         fs::symlink_status(dir / kGraphFile, ec).type() == fs::file_type::regular;
}

ResultDir read_result_dir(const fs::path& given, Diagnostics& diags, SecretKeyring* keys) {
  fs::path dir = clean(given);
  const fs::path graph_path = dir / kGraphFile;
  auto bad = [&](const fs::path& file, const std::string& what) {
    return Error(ErrorKind::kInvalidInput, file.string() + ": " + what, {},
                 "the result directory is damaged; write it again with kix build or kix rollback, "
                 "or add its manifests from a directory without `root` and `graph`");
  };
  std::optional<Hash> recorded = read_root_file(dir / kRootFile);
  if (!recorded) throw bad(dir / kRootFile, "is not a root hash (64 hex digits)");

  Json g;
  try {
    g = Json::parse(read_small_file(graph_path, kMaxGraphFileBytes));
  } catch (const Json::exception&) {
    throw bad(graph_path, "is not JSON");
  }
  if (!g.is_object() || g.value("v", 0) != 1)
    throw bad(graph_path, "is not a version 1 graph file");
  auto cluster_it = g.find("cluster");
  auto resources_it = g.find("resources");
  if (cluster_it == g.end() || !cluster_it->is_string() || resources_it == g.end() ||
      !resources_it->is_array()) {
    throw bad(graph_path, "has no \"cluster\" or no \"resources\"");
  }
  ResultDir out;
  out.cluster = cluster_it->get<std::string>();
  if (!out.cluster.empty()) {
    if (auto problem = cluster_name_problem(out.cluster)) {
      throw bad(graph_path, "its cluster name is invalid: " + *problem);
    }
  }
  out.recorded_root = *recorded;

  struct Entry {
    std::string file;
    Hash blob;
    std::vector<std::pair<std::string, std::string>> refs;  // file, reason
  };
  std::vector<Entry> entries;
  std::map<std::string, size_t> index;
  for (const Json& r : *resources_it) {
    auto field = [&](const char* key) -> std::string {
      auto it = r.is_object() ? r.find(key) : r.end();
      if (it == r.end() || !it->is_string()) {
        throw bad(graph_path, std::string("a resource has no \"") + key + "\"");
      }
      return it->get<std::string>();
    };
    Entry e{field("file"), {}, {}};
    if (auto withheld = r.find("withheld"); withheld != r.end()) {
      throw Error(ErrorKind::kNotFound,
                  dir.string() + " is incomplete: " + e.file +
                      " (a Secret) was withheld, because the secret key " +
                      (withheld->is_string() ? withheld->get<std::string>() : std::string("?")) +
                      " that seals its values was not there when the result was written",
                  {},
                  "write the result again where that key is (KIX_SECRET_KEY_FILE; "
                  "docs/secrets.md)");
    }
    auto blob = Hash::from_hex(field("blob"));
    if (!blob) throw bad(graph_path, "the blob of " + e.file + " is not a hash");
    e.blob = *blob;
    if (e.file.find('/') != std::string::npos || !ends_with(e.file, ".yaml") || e.file[0] == '.') {
      throw bad(graph_path, "'" + e.file + "' is not a result file name");
    }
    auto refs = r.find("refs");
    if (refs == r.end() || !refs->is_array()) throw bad(graph_path, e.file + " has no \"refs\"");
    for (const Json& ref : *refs) {
      if (!ref.is_object() || !ref.contains("file") || !ref["file"].is_string() ||
          !ref.contains("reason") || !ref["reason"].is_string()) {
        throw bad(graph_path, "a reference of " + e.file + " is malformed");
      }
      e.refs.emplace_back(ref["file"].get<std::string>(), ref["reason"].get<std::string>());
    }
    if (!index.emplace(e.file, entries.size()).second) {
      throw bad(graph_path, "lists " + e.file + " twice");
    }
    entries.push_back(std::move(e));
  }

  // Every manifest file on disk is in the graph: nothing is silently left out.
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (ends_with(name, ".yaml") && !index.count(name)) {
      throw Error(ErrorKind::kInvalidInput,
                  (dir / name).string() + " is not part of the result in " + dir.string(), {},
                  "its graph file does not list it; remove it, or add it as a plain manifest "
                  "from a directory without `root` and `graph`");
    }
  }

  // Parsing the files is nearly all of the work: they are read on every
  // core first, and then taken in order, so that the first problem in
  // file order is the one reported, as when they were read one by one.
  struct Loaded {
    std::vector<Manifest> manifests;
    Diagnostics diags;
    std::exception_ptr error;
  };
  std::vector<Loaded> loaded(entries.size());
  parallel_for(entries.size(), default_parallelism(), [&](size_t i) {
    const fs::path file = dir / entries[i].file;
    std::error_code stat_error;
    try {
      if (!fs::is_regular_file(fs::symlink_status(file, stat_error))) {
        throw bad(file, "is listed in the graph file but missing");
      }
      loaded[i].manifests = load_manifests({file.string()}, loaded[i].diags);
    } catch (...) {
      loaded[i].error = std::current_exception();
    }
  });

  std::vector<Manifest> manifests;
  std::vector<std::vector<size_t>> refs(entries.size());
  std::vector<std::vector<std::string>> reasons(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    fs::path file = dir / e.file;
    diags.append(loaded[i].diags);
    if (loaded[i].error) std::rethrow_exception(loaded[i].error);
    std::vector<Manifest> found = std::move(loaded[i].manifests);
    if (found.size() != 1) {
      throw bad(file, "holds " + std::to_string(found.size()) + " manifests instead of one");
    }
    seal_manifests(found, keys);
    if (found[0].blob != e.blob) out.edited.push_back(e.file);
    manifests.push_back(std::move(found[0]));
    for (const auto& [target, reason] : e.refs) {
      auto t = index.find(target);
      if (t == index.end()) {
        throw bad(graph_path, e.file + " references " + target + ", which it does not list");
      }
      refs[i].push_back(t->second);
      reasons[i].push_back(reason);
    }
  }
  out.graph = build_graph(std::move(manifests), std::move(refs), std::move(reasons));
  out.root = out.graph.root(out.cluster);
  if (!out.edited.empty()) {
    std::string files;
    for (const auto& f : out.edited) files += (files.empty() ? "" : ", ") + f;
    diags.warn({dir.string()}, "the result was edited since kix wrote it: " + files,
               "the edited manifests are taken as they are, with the references kix recorded; "
               "the root differs from the one in `root`");
  } else if (out.root != out.recorded_root) {
    diags.warn({(dir / kRootFile).string()},
               "says " + out.recorded_root.hex() + ", but the manifests and the graph file give " +
                   out.root.hex(),
               "the manifests are taken as they are; the `root` file was changed by hand");
  }
  return out;
}

}  // namespace kix
