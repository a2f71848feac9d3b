#include "compiler/cluster_definition.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "manifest/cluster_name.h"
#include "manifest/manifest.h"
#include "util/suggest.h"

namespace kix::compiler {

bool is_dns_label(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-'; });
}

namespace {

const std::vector<std::string> kTopLevelKeys = {
    "cluster",   "packagePaths",   "modules",        "availablePackages",
    "instances", "infrastructure", "networkPolicies"};
// The merge priorities of module_merge.h.
const std::vector<std::string> kMergeTags = {"!default", "!force"};
const std::vector<std::string> kInstanceKeys = {"package",  "aliases", "config",    "deps",
                                                "external", "out",     "namespace", "patches"};

// The file to read for `path`: `path` itself unless it is a directory,
// else the first of kClusterFiles in it; for a directory without one, the
// first name looked for, so the "does not exist" error names it.
std::filesystem::path definition_file(const std::filesystem::path& path,
                                      const DefinitionFiles& files) {
  if (!files.is_directory(path)) return path;
  for (const char* name : kClusterFiles) {
    if (files.exists(path / name) && !files.is_directory(path / name)) return path / name;
  }
  return path / kClusterFiles[0];
}

class DefinitionLoader {
 public:
  DefinitionLoader(Diagnostics& diags, const DefinitionFiles& files)
      : diags_(diags), files_(files) {}

  // Reads `file` and, depth first, the modules it names.
  void read(const std::filesystem::path& file, const SourceLocation& named_at) {
    if (!files_.exists(file)) {
      throw Error(ErrorKind::kNotFound, "cluster definition '" + file.string() + "' does not exist",
                  named_at,
                  named_at.known()
                      ? "fix the path in 'modules' (it is relative to the file naming it)"
                      : "give a cluster.yaml file or a directory holding one");
    }
    if (!seen_.insert(files_.identity(file)).second) {
      throw Error(ErrorKind::kInvalidInput,
                  "module '" + file.string() + "' is included twice (or in a cycle)", named_at,
                  "remove one of the 'modules' entries naming it");
    }
    std::string display = file.lexically_normal().string();
    ParseOptions options;
    options.record_locations = true;
    options.allow_custom_tags = true;
    auto docs = parse_any(files_.read(file), display, diags_, options);
    if (docs.size() != 1 || !docs[0].value.is_object()) {
      throw Error(ErrorKind::kInvalidInput,
                  "a cluster definition must be one YAML map (see docs/cluster-definitions.md)",
                  SourceLocation{display, 1, 1});
    }
    Document doc = std::move(docs[0]);
    check_tags(doc);
    check_top_level(doc);
    absolutize_package_paths(doc, file.parent_path());
    std::vector<std::pair<std::filesystem::path, SourceLocation>> modules =
        module_paths(doc, file.parent_path());
    doc.value.erase("modules");
    docs_.push_back(std::move(doc));
    for (const auto& [module, where] : modules) read(module, where);
  }

  std::vector<Document> take() { return std::move(docs_); }

 private:
  // The only tags a definition may carry are the merge priorities; any
  // other would be silently ignored by the merge, so it is an error at the
  // first one in the file.
  static void check_tags(const Document& doc) {
    if (!doc.tags) return;
    const std::pair<const std::string, std::string>* first = nullptr;
    SourceLocation first_at;
    for (const auto& entry : *doc.tags) {
      if (std::find(kMergeTags.begin(), kMergeTags.end(), entry.second) != kMergeTags.end()) {
        continue;
      }
      SourceLocation at = doc.locate(entry.first);
      if (first == nullptr ||
          std::tie(at.line, at.column) < std::tie(first_at.line, first_at.column)) {
        first = &entry;
        first_at = at;
      }
    }
    if (first == nullptr) return;
    std::string hint = did_you_mean(first->second, kMergeTags);
    throw Error(ErrorKind::kInvalidInput, "unknown tag '" + first->second + "'", first_at,
                hint.empty() ? "a cluster definition may only use the tags !default and !force "
                               "(docs/cluster-definitions.md); remove it"
                             : hint);
  }

  void check_top_level(const Document& doc) {
    for (const auto& [key, unused] : doc.value.items()) {
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) == kTopLevelKeys.end()) {
        std::string hint = did_you_mean(key, kTopLevelKeys);
        throw Error(ErrorKind::kInvalidInput, "unknown field '" + key + "' in a cluster definition",
                    doc.locate("/" + json_pointer_escape(key)),
                    hint.empty() ? "allowed: " + join_names(kTopLevelKeys) : hint);
      }
    }
  }

  static void require_string_list(const Document& doc, const char* key) {
    const Json& list = doc.value[key];
    if (!list.is_array() ||
        !std::all_of(list.begin(), list.end(), [](const Json& j) { return j.is_string(); })) {
      throw Error(ErrorKind::kInvalidInput, std::string("'") + key + "' must be a list of strings",
                  doc.locate(std::string("/") + key));
    }
  }

  void absolutize_package_paths(Document& doc, const std::filesystem::path& base) {
    if (!doc.value.contains("packagePaths")) return;
    require_string_list(doc, "packagePaths");
    for (auto& p : doc.value["packagePaths"]) {
      std::filesystem::path path = p.get<std::string>();
      if (path.is_relative()) path = base / path;
      p = std::filesystem::absolute(path).lexically_normal().string();
    }
  }

  std::vector<std::pair<std::filesystem::path, SourceLocation>> module_paths(
      const Document& doc, const std::filesystem::path& base) {
    std::vector<std::pair<std::filesystem::path, SourceLocation>> out;
    if (!doc.value.contains("modules")) return out;
    require_string_list(doc, "modules");
    const Json& list = doc.value["modules"];
    for (size_t i = 0; i < list.size(); ++i) {
      std::filesystem::path path = list[i].get<std::string>();
      if (path.is_relative()) path = base / path;
      out.emplace_back(definition_file(path, files_), doc.locate("/modules/" + std::to_string(i)));
    }
    return out;
  }

  Diagnostics& diags_;
  const DefinitionFiles& files_;
  std::set<std::string> seen_;
  std::vector<Document> docs_;
};

class DeclarationReader {
 public:
  explicit DeclarationReader(ClusterDefinition& def) : def_(def) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& message,
                         std::string hint = {}) {
    throw Error(ErrorKind::kInvalidInput, message, def_.locate(pointer), std::move(hint));
  }

  void read_all() {
    const Json& root = def_.doc.value();
    if (!root.contains("cluster") || !root["cluster"].is_string() ||
        root["cluster"].get<std::string>().empty()) {
      fail("", "a cluster definition needs 'cluster: <name>'",
           "the name identifies the cluster's generations in the store");
    }
    def_.name = root["cluster"].get<std::string>();
    if (auto problem = cluster_name_problem(def_.name)) {
      fail("/cluster", "invalid cluster name '" + def_.name + "'", *problem);
    }
    def_.available_packages_declared = root.contains("availablePackages");
    for (const char* key : {"packagePaths", "availablePackages"}) {
      if (!root.contains(key)) continue;
      // Iterating a scalar would yield the scalar itself: `availablePackages:
      // valkey` must not pass as a one-element list.
      if (!root[key].is_array())
        fail(std::string("/") + key, std::string("'") + key + "' must be a list of strings");
      for (const auto& p : root[key]) {
        if (!p.is_string())
          fail(std::string("/") + key, std::string("'") + key + "' must be a list of strings");
        if (std::string(key) == "packagePaths") {
          def_.package_paths.emplace_back(p.get<std::string>());
        } else {
          def_.available_packages.push_back(p.get<std::string>());
        }
      }
    }
    if (root.contains("instances")) read_namespaces(root["instances"]);
    if (root.contains("infrastructure")) read_infrastructure(root["infrastructure"]);
    if (root.contains("networkPolicies")) read_network_policies(root["networkPolicies"]);
  }

  // `derive` | `none` | { derive: all | [namespace, ...], egress: bool }
  void read_network_policies(const Json& v) {
    const std::string hint =
        "write `networkPolicies: derive` (every namespace), `networkPolicies: none`, or "
        "`networkPolicies: { derive: [namespace, ...], egress: true }`";
    NetworkPolicySettings& s = def_.network_policies;
    s.where = def_.locate("/networkPolicies");
    if (v.is_string()) {
      if (v == "derive") {
        s.all_namespaces = true;
        s.namespaces.insert(def_.namespaces.begin(), def_.namespaces.end());
      } else if (v != "none") {
        fail("/networkPolicies", "networkPolicies is '" + v.get<std::string>() + "'", hint);
      }
      return;
    }
    if (!v.is_object()) fail("/networkPolicies", "networkPolicies must be a word or a map", hint);
    for (const auto& [key, value] : v.items()) {
      const std::string pointer = "/networkPolicies/" + json_pointer_escape(key);
      if (key == "egress") {
        if (!value.is_boolean()) fail(pointer, "networkPolicies.egress must be true or false");
        s.egress = value.get<bool>();
      } else if (key == "derive") {
        if (value == "all") {
          s.all_namespaces = true;
          s.namespaces.insert(def_.namespaces.begin(), def_.namespaces.end());
        } else if (value.is_array()) {
          for (size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string())
              fail(pointer + "/" + std::to_string(i), "a namespace name must be a string", hint);
            const std::string ns = value[i].get<std::string>();
            if (std::find(def_.namespaces.begin(), def_.namespaces.end(), ns) ==
                def_.namespaces.end()) {
              std::string dym = did_you_mean(ns, def_.namespaces);
              fail(pointer + "/" + std::to_string(i),
                   "networkPolicies names namespace '" + ns + "', which has no instances",
                   dym.empty() ? "name a namespace under `instances`" : dym);
            }
            s.namespaces.insert(ns);
          }
        } else {
          fail(pointer, "networkPolicies.derive must be `all` or a list of namespaces", hint);
        }
      } else {
        std::string dym = did_you_mean(key, {"derive", "egress"});
        fail(pointer, "unknown field '" + key + "' in networkPolicies", dym.empty() ? hint : dym);
      }
    }
  }

 private:
  void read_namespaces(const Json& instances) {
    if (!instances.is_object())
      fail("/instances", "'instances' must map namespaces to their instances");
    for (const auto& [ns, decls] : instances.items()) {
      std::string pointer = "/instances/" + json_pointer_escape(ns);
      if (!decls.is_object())
        fail(pointer, "namespace '" + ns + "' must map instance names to declarations");
      if (!is_dns_label(ns))
        fail(pointer, "'" + ns + "' is not a valid namespace name", kDnsLabelHint);
      def_.namespaces.push_back(ns);
      for (const auto& [name, decl] : decls.items()) {
        def_.instances.push_back(
            read_instance(name, ns, decl, pointer + "/" + json_pointer_escape(name), false));
      }
    }
  }

  void read_infrastructure(const Json& infra) {
    if (!infra.is_object())
      fail("/infrastructure", "'infrastructure' must map instance names to declarations");
    for (const auto& [name, decl] : infra.items()) {
      std::string pointer = "/infrastructure/" + json_pointer_escape(name);
      std::string ns = kInfrastructureNamespace;
      if (decl.is_object() && decl.contains("namespace")) {
        if (!decl["namespace"].is_string())
          fail(pointer + "/namespace", "'namespace' must be a string");
        ns = decl["namespace"].get<std::string>();
        if (!is_dns_label(ns))
          fail(pointer + "/namespace", "'" + ns + "' is not a valid namespace name", kDnsLabelHint);
      }
      def_.instances.push_back(read_instance(name, ns, decl, pointer, true));
    }
  }

  InstanceDecl read_instance(const std::string& name, const std::string& ns, const Json& decl,
                             const std::string& pointer, bool infrastructure) {
    if (!decl.is_object())
      fail(pointer, "instance '" + name + "' must be a map with at least 'package'");
    if (!is_dns_label(name))
      fail(pointer, "'" + name + "' is not a valid instance name", kDnsLabelHint);
    for (const auto& [key, unused] : decl.items()) {
      if (std::find(kInstanceKeys.begin(), kInstanceKeys.end(), key) == kInstanceKeys.end() ||
          (key == "namespace" && !infrastructure)) {
        // `namespace` belongs to infrastructure instances only: not a
        // name to suggest, nor to list, for the others.
        std::vector<std::string> allowed;
        for (const auto& k : kInstanceKeys) {
          if (infrastructure || std::string_view(k) != "namespace") allowed.emplace_back(k);
        }
        std::string hint = key == "namespace"
                               ? "only an instance under `infrastructure` names its namespace; "
                                 "this one is in namespace '" +
                                     ns + "'"
                               : did_you_mean(key, allowed);
        fail(pointer + "/" + json_pointer_escape(key),
             "unknown field '" + key + "' in instance '" + name + "'",
             hint.empty() ? "allowed: " + join_names(allowed) : hint);
      }
    }
    InstanceDecl d;
    d.name = name;
    d.ns = ns;
    d.infrastructure = infrastructure;
    d.pointer = pointer;
    d.where = def_.locate(pointer);
    if (decl.contains("external")) {
      if (!decl["external"].is_boolean())
        fail(pointer + "/external", "'external' must be true or false");
      d.external = decl["external"].get<bool>();
    }
    if (decl.contains("package")) {
      if (!decl["package"].is_string())
        fail(pointer + "/package", "'package' must be a package name");
      d.package = decl["package"].get<std::string>();
    } else if (!d.external) {
      fail(pointer, "instance '" + name + "' needs 'package: <name>'",
           "or `external: true` with an `out` map for something kix does not deploy");
    }
    if (d.external) {
      if (!decl.contains("out") || !decl["out"].is_object()) {
        fail(pointer,
             "external instance '" + name + "' needs an 'out' map (the values its consumers read)");
      }
      d.out = decl["out"];
    } else if (decl.contains("out")) {
      fail(pointer + "/out", "'out' is given by hand only for external instances",
           "add `external: true` or remove 'out'");
    }
    if (decl.contains("patches")) {
      if (d.external) {
        fail(pointer + "/patches",
             "external instance '" + name + "' has 'patches', but kix emits nothing for it",
             "patch the resources of an instance kix deploys, or remove 'patches'");
      }
      d.patches = read_instance_patches(def_.doc, pointer + "/patches", name);
    }
    if (decl.contains("aliases")) {
      const Json& aliases = decl["aliases"];
      if (!aliases.is_array()) fail(pointer + "/aliases", "'aliases' must be a list of names");
      for (const auto& a : aliases) {
        if (!a.is_string()) fail(pointer + "/aliases", "'aliases' must be a list of names");
        d.aliases.push_back(a.get<std::string>());
      }
    }
    if (decl.contains("config")) {
      if (!decl["config"].is_object())
        fail(pointer + "/config", "'config' must be a map of options");
      d.config = decl["config"];
    }
    if (decl.contains("deps")) {
      const Json& deps = decl["deps"];
      if (!deps.is_object()) fail(pointer + "/deps", "'deps' must map needs to instance names");
      for (const auto& [need, target] : deps.items()) {
        if (!target.is_string()) {
          fail(pointer + "/deps/" + json_pointer_escape(need),
               "a dependency must name an instance (\"name\" or \"namespace/name\")");
        }
        d.deps[need] = target.get<std::string>();
      }
    }
    return d;
  }

  ClusterDefinition& def_;
};

}  // namespace

std::optional<std::filesystem::path> find_definition_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return path;
  for (const char* name : kClusterFiles) {
    if (std::filesystem::is_regular_file(path / name, ec)) return path / name;
  }
  return std::nullopt;
}

bool is_definition_file_name(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return std::find(std::begin(kClusterFiles), std::end(kClusterFiles), name) !=
         std::end(kClusterFiles);
}

bool DiskDefinitionFiles::exists(const std::filesystem::path& path) const {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool DiskDefinitionFiles::is_directory(const std::filesystem::path& path) const {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

std::string DiskDefinitionFiles::read(const std::filesystem::path& path) const {
  return read_input(path.string());
}

std::string DiskDefinitionFiles::identity(const std::filesystem::path& path) const {
  std::error_code ec;
  return std::filesystem::weakly_canonical(path, ec).string();
}

ClusterDefinition load_cluster_definition(const std::filesystem::path& path, Diagnostics& diags) {
  return load_cluster_definition(path, diags, DiskDefinitionFiles());
}

ClusterDefinition load_cluster_definition(const std::filesystem::path& path, Diagnostics& diags,
                                          const DefinitionFiles& files) {
  std::filesystem::path file = definition_file(path, files);
  DefinitionLoader loader(diags, files);
  loader.read(file, {});
  ClusterDefinition def;
  def.file = file.lexically_normal().string();
  def.doc = MergedDocument::merge(loader.take(), {"packagePaths", "availablePackages"},
                                  {"/instances/*/*/patches", "/infrastructure/*/patches"});
  DeclarationReader(def).read_all();
  return def;
}

}  // namespace kix::compiler
