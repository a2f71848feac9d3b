// kubectl_to_run (cli/cluster_cli.h): the kubectl deploy, preview and
// test run, or print in a dry run.
#include "cli/cluster_cli.h"
#include "cluster/kubectl.h"
#include "util/error.h"

namespace kix::cli {

std::string kubectl_to_run(const Context& ctx, bool dry_run) {
  try {
    return find_kubectl(ctx.env());
  } catch (const Error&) {
    if (!dry_run) throw;
    return "kubectl";
  }
}

}  // namespace kix::cli
