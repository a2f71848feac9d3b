// `kix store add --chart`: a Helm chart rendered and stored without a
// package, pinned like a package's chart (docs/commands/store.md).
#pragma once

#include <string>

#include "cli/context.h"
#include "manifest/merkle.h"
#include "util/hash.h"

namespace kix::cli {

struct ChartAddArgs {
  std::string chart;    // oci://registry/path/NAME, NAME (with repo), or a .tgz path
  std::string repo;     // an HTTP(S) chart repository, for a NAME
  std::string version;  // required unless the chart is a local archive
  std::string values;   // a YAML or JSON file of values
  std::string ns = "default";
  std::string release;  // default: the chart's name
  std::string sha256;   // the pin, when not in the lock file
  std::string lock = "kix.lock";
  bool update_lock = false;
  bool insecure = false;
};

struct ChartAddInput {
  Graph graph;
  Hash source;  // the archive's SHA-256, kept in the store
  std::string description;
};

// Reads the values and the lock file, calls compiler/plain_chart.h (the pin
// from --sha256 or the lock file; an unpinned chart is refused with its
// digest, unless --update-lock, which is then written here), and returns
// the graph of what the chart rendered. Throws kix::Error; the store is
// changed only by the archive being kept once it is pinned and checked.
ChartAddInput read_chart_input(const ChartAddArgs& args, Context& ctx);

}  // namespace kix::cli
