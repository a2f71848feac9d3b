#include "cluster/kubectl.h"

#include <map>
#include <set>

#include "cluster/deploy.h"
#include "manifest/document.h"
#include "manifest/secret_sources.h"
#include "util/error.h"

namespace kix {

namespace {

// "Deployment.apps", "Service": a type name kubectl resolves without guessing
// between API groups.
std::string kubectl_type(const ResourceId& id) {
  // A RequiredSecret or GeneratedSecret is compared with its Secret
  // (cluster/drift.h); the API server knows no kix.dev kinds.
  if (is_secret_source(id)) return "Secret";
  return id.group().empty() ? id.kind : id.kind + "." + id.group();
}

void append_objects(ProcessRunner& runner, const std::vector<std::string>& argv,
                    std::vector<Manifest>& out) {
  ProcessResult result = runner.run(argv);
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kIo,
                "kubectl failed (exit " + std::to_string(result.exit_code) + "): " + result.err, {},
                "check the context and your access; kix ran: " + shell_quote(argv));
  }
  if (result.out.find_first_not_of(" \t\r\n") == std::string::npos) return;
  Diagnostics ignored;  // kubectl writes plain JSON: nothing to warn about
  append_manifests(parse_json(result.out, "kubectl get", ignored, live_parse_options()), out);
}

}  // namespace

std::string find_kubectl(const Environment& env) {
  if (auto program = env.get_nonempty("KIX_KUBECTL")) return *program;
  if (auto found = find_in_path("kubectl", env.get("PATH").value_or(""))) return *found;
  throw Error(ErrorKind::kNotFound, "kubectl was not found on PATH", {},
              "install kubectl or set KIX_KUBECTL to its path");
}

ParseOptions live_parse_options() {
  ParseOptions options;
  options.limits.max_document_bytes = size_t{1} << 30;
  options.limits.max_nodes = size_t{64} << 20;
  return options;
}

std::vector<Manifest> fetch_live_objects(ProcessRunner& runner, const std::string& kubectl,
                                         const std::string& context, const Graph& desired,
                                         const std::vector<const Graph*>& also) {
  std::vector<std::string> base = {kubectl};
  if (!context.empty()) base.insert(base.end(), {"--context", context});
  std::map<std::string, std::set<std::string>> types_by_namespace;
  std::map<std::string, std::set<std::string>> names_by_cluster_type;
  std::vector<const Graph*> graphs = {&desired};
  graphs.insert(graphs.end(), also.begin(), also.end());
  for (const Graph* graph : graphs) {
    for (const Manifest& m : graph->manifests) {
      if (m.id.ns.empty()) {
        names_by_cluster_type[kubectl_type(m.id)].insert(m.id.name);
      } else {
        types_by_namespace[m.id.ns].insert(kubectl_type(m.id));
      }
    }
  }
  std::vector<Manifest> live;
  for (const auto& [ns, types] : types_by_namespace) {
    std::string joined;
    for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
    auto argv = base;
    argv.insert(argv.end(), {"get", joined, "-n", ns, "-o", "json"});
    append_objects(runner, argv, live);
  }
  for (const auto& [type, names] : names_by_cluster_type) {
    auto argv = base;
    argv.insert(argv.end(), {"get", type});
    argv.insert(argv.end(), names.begin(), names.end());
    argv.insert(argv.end(), {"--ignore-not-found", "-o", "json"});
    append_objects(runner, argv, live);
  }
  return live;
}

}  // namespace kix
