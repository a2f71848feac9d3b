#include "cluster/live_secret.h"

#include <algorithm>
#include <sstream>

#include "util/error.h"
#include "util/suggest.h"

namespace kix {
namespace {

// The first line says the Secret exists (kubectl prints nothing at all for
// a missing one with --ignore-not-found); then the key names, one a line.
// Key names cannot hold newlines ([-._a-zA-Z0-9]+).
constexpr const char* kMarker = "kix-secret-exists";

}  // namespace

std::vector<std::string> live_secret_command(const std::string& kubectl, const std::string& context,
                                             const ResourceId& secret) {
  std::vector<std::string> argv = {kubectl};
  if (!context.empty()) argv.insert(argv.end(), {"--context", context});
  argv.insert(argv.end(), {"get", "secret", secret.name, "-n", secret.ns, "--ignore-not-found",
                           std::string("-o=go-template={{\"") + kMarker +
                               "\\n\"}}{{range $k, $v := .data}}{{$k}}{{\"\\n\"}}{{end}}"});
  return argv;
}

LiveSecret parse_live_secret(const std::string& output, const ResourceId& secret) {
  LiveSecret live;
  std::istringstream lines(output);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (first) {
      first = false;
      if (line != kMarker) {
        throw Error(ErrorKind::kIo,
                    "kubectl's answer about Secret " + secret.name + " in namespace " + secret.ns +
                        " is not what kix asked for",
                    {}, "check that KIX_KUBECTL (or kubectl on PATH) is kubectl");
      }
      live.exists = true;
      continue;
    }
    if (!line.empty()) live.keys.push_back(line);
  }
  std::sort(live.keys.begin(), live.keys.end());
  return live;
}

std::vector<std::string> missing_keys(const std::vector<std::string>& wanted,
                                      const LiveSecret& live) {
  std::vector<std::string> missing;
  for (const std::string& key : wanted) {
    if (!std::binary_search(live.keys.begin(), live.keys.end(), key)) missing.push_back(key);
  }
  return missing;
}

std::optional<std::string> required_secret_problem(const SecretSource& source,
                                                   const LiveSecret& live) {
  std::string what = "Secret " + source.id.name + " in namespace " + source.id.ns;
  std::string problem;
  if (!live.exists) {
    problem = what + " does not exist; it must, with the key" +
              (source.keys.size() == 1 ? " " : "s ") + join_names(source.keys) + "\n";
    problem += "  create it: " + create_secret_command(source) + "\n";
  } else {
    std::vector<std::string> missing = missing_keys(source.keys, live);
    if (missing.empty()) return std::nullopt;
    problem = what + " lacks the key" + (missing.size() == 1 ? " " : "s ") + join_names(missing) +
              " (it has " + (live.keys.empty() ? "none" : join_names(live.keys)) + ")\n";
    problem +=
        "  add them, e.g. kubectl edit secret " + source.id.name + " -n " + source.id.ns + "\n";
  }
  if (!source.description.empty()) problem += "  what it is: " + source.description + "\n";
  return problem;
}

}  // namespace kix
