// Cluster definitions (docs/cluster-definitions.md): the file a
// user writes, with its modules merged, as a passive model.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/instance_patch.h"
#include "compiler/module_merge.h"
#include "util/diagnostics.h"

namespace kix::compiler {

// The files looked for, in this order, when a definition is given as a
// directory.
inline constexpr const char* kClusterFiles[] = {"cluster.yaml", "cluster.yml", "cluster.json"};

// The definition file `path` names: `path` itself when it is not a
// directory, else the first of kClusterFiles inside it, else nullopt.
std::optional<std::filesystem::path> find_definition_file(const std::filesystem::path& path);

// True when `path` names one of kClusterFiles (whatever its directory).
bool is_definition_file_name(const std::filesystem::path& path);

// RFC 1123 label: what Kubernetes accepts as a Namespace name, and what an
// instance name must be to serve as the default metadata.name and as the
// app.kubernetes.io/instance label.
bool is_dns_label(const std::string& name);
inline constexpr const char* kDnsLabelHint =
    "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or "
    "digit (Kubernetes names are RFC 1123 labels)";

// One instance of a package, as declared (or auto-instantiated).
struct InstanceDecl {
  std::string name;
  std::string ns;       // namespace ("" never: infrastructure gets one too)
  std::string package;  // "" only for an external instance without a package
  std::vector<std::string> aliases;
  Json config = Json::object();
  std::map<std::string, std::string> deps;  // need -> "name" or "namespace/name"
  bool external = false;
  Json out;                            // for external instances: given by hand
  std::vector<InstancePatch> patches;  // in definition order (modules concatenated)
  bool infrastructure = false;
  bool auto_instantiated = false;
  std::string auto_reason;  // "needed as 'valkey' by immich/immich"
  std::string pointer;      // JSON Pointer of the declaration in the merged definition
  SourceLocation where;

  // "namespace/name", how instances are named in messages and graphs.
  std::string qualified() const { return ns + "/" + name; }
};

// `networkPolicies` (docs/cluster-definitions.md, "Network policies"):
// where kix derives NetworkPolicies from the dependency graph.
struct NetworkPolicySettings {
  bool all_namespaces = false;  // `derive`, or `derive: all`
  // Where: every namespace of `instances` for `derive`, else those listed
  // (never an infrastructure namespace by itself: operators there take
  // webhook calls kix knows nothing of).
  std::set<std::string> namespaces;
  bool egress = false;  // also restrict egress (DNS allowed)
  SourceLocation where;

  bool derives(const std::string& ns) const { return namespaces.count(ns) > 0; }
  bool any() const { return !namespaces.empty(); }
};

struct ClusterDefinition {
  std::string name;
  std::string file;                                  // the main file, as shown in diagnostics
  std::vector<std::filesystem::path> package_paths;  // in search order
  std::vector<std::string> available_packages;
  // Whether `availablePackages` was written at all. Without it, every
  // package of the search path may be auto-instantiated for a required
  // need; with it, only those it lists (none for `[]`).
  bool available_packages_declared = false;
  NetworkPolicySettings network_policies;
  std::vector<std::string> namespaces;  // of `instances`, in declaration order
  std::vector<InstanceDecl> instances;  // namespaced ones first, then infrastructure
  MergedDocument doc;

  SourceLocation locate(const std::string& pointer) const { return doc.locate(pointer); }
};

// The namespace of infrastructure instances that do not name one.
inline constexpr const char* kInfrastructureNamespace = "kix-system";

// Where a definition and its modules are read from: the file system, or
// (for tests and fuzzing) files in memory.
class DefinitionFiles {
 public:
  virtual ~DefinitionFiles() = default;
  virtual bool exists(const std::filesystem::path& path) const = 0;
  virtual bool is_directory(const std::filesystem::path& path) const = 0;
  // The file's text. Throws kNotFound / kIo, kInvalidInput beyond the
  // input budget.
  virtual std::string read(const std::filesystem::path& path) const = 0;
  // One name per file, so a module named twice is recognised.
  virtual std::string identity(const std::filesystem::path& path) const = 0;
};

// The real file system.
class DiskDefinitionFiles : public DefinitionFiles {
 public:
  bool exists(const std::filesystem::path& path) const override;
  bool is_directory(const std::filesystem::path& path) const override;
  std::string read(const std::filesystem::path& path) const override;
  std::string identity(const std::filesystem::path& path) const override;
};

// Reads a definition from a file, or from a directory's cluster.yaml (or
// .yml, .json; see find_definition_file), merging its
// modules (paths relative to the file naming them). packagePaths become
// absolute. Throws kix::Error for unreadable files, YAML errors, merge
// conflicts, module cycles and malformed declarations (an invalid cluster
// name among them), at file and line.
ClusterDefinition load_cluster_definition(const std::filesystem::path& path, Diagnostics& diags);
ClusterDefinition load_cluster_definition(const std::filesystem::path& path, Diagnostics& diags,
                                          const DefinitionFiles& files);

}  // namespace kix::compiler
