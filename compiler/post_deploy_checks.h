// Post-deploy checks (docs/commands/test.md): what `kix test` runs after a
// deploy to prove the wiring, derived from the compiled graph.
//
//   reachability  every need consumer -> provider whose two ends have pods
//                 (compiler/network_policies.h, edge_ends): a TCP connect,
//                 from a pod labelled like the consumer's pods (so the
//                 derived NetworkPolicies apply to it as to the consumer),
//                 to the provider's out.fqdn and out.port (or the first of
//                 out.ports), else its first Service's name and port;
//   package test  each entry of a package's `tests:` (docs/packages.md):
//                 an HTTP GET whose body must contain a text, or a TCP
//                 connect, from a plain pod of the instance's namespace.
//
// Each check runs as one short-lived Job, named `kix-check-<12 hex>` after
// the hash of the Job's spec: a changed check is a new Job (a Job's
// template is immutable), an unchanged one the same name. The Job runs
// busybox once (backoffLimit 0, activeDeadlineSeconds 60) with no service
// account token.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "compiler/compilation.h"

namespace kix::compiler {

// The label of a package test's pods, which derived NetworkPolicies let in
// (compiler/network_policies.h); reachability checks carry the consumer's
// labels instead, so the policies treat them as the consumer.
inline constexpr const char* kPostDeployTestLabel = "kix.dev/post-deploy-test";

// The image the check Jobs run (nc and wget).
inline constexpr const char* kCheckImage = "docker.io/library/busybox:1.37.0";

struct PostDeployCheck {
  std::string name;    // "immich/immich -> immich/immich-db", "immich/immich: ping"
  std::string kind;    // "tcp" or "http"
  std::string target;  // "immich-db.immich.svc.cluster.local:5432", or the URL
  std::string expect;  // http: text the body must contain ("" = any body)
  std::string ns;      // where its Job runs
  std::string job;     // kix-check-<12 hex>
  Json manifest;       // the Job
};

// Every check of `c` (a compilation without errors), reachability first,
// in instance order. Package tests that are not a map of the documented
// shape after rendering (a port that is not a number) are skipped with the
// reason in `problems`.
std::vector<PostDeployCheck> derive_checks(const Compilation& c,
                                           std::vector<std::string>* problems = nullptr);

}  // namespace kix::compiler
