// Shared pieces of `kix diff`, `kix plan` and `kix deploy`
// (cli/cluster_*.cc, cli/diff_command.cc, cli/deploy_command.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "cluster/check_run.h"
#include "manifest/merkle.h"
#include "util/hash.h"
#include "util/process.h"

namespace kix::cli {

// What the positional DIR|FILE|REF of diff/plan/deploy names, loaded.
struct ClusterInput {
  Graph graph;
  std::string cluster;       // the cluster name when known ("" for plain manifests)
  std::string label;         // how to name it in output: the path or REF given
  std::optional<Hash> root;  // set when it came from the store or was compiled
  // Post-deploy checks (compiler/post_deploy_checks.h): known only when the
  // input was a definition compiled here; empty otherwise.
  std::vector<CheckJob> checks;
  bool checks_known = false;
};

// Resolves `arg`:
//  - a cluster definition (a directory holding cluster.yaml / cluster.yml,
//    or such a file): compiled, with schema validation;
//  - another existing file or directory: plain manifests (multi-document
//    YAML, JSON, `kind: List`), references inferred;
//  - anything else: a REF of the store (hash, prefix, NAME, NAME@N).
// An empty `arg` means the current directory's cluster definition, else
// ./result (the output of the last `kix build`).
// Throws kix::Error (kNotFound for a REF the store does not know).
ClusterInput load_cluster_input(const std::string& arg, Context& ctx);

// Throws kInvalidInput unless the post-deploy checks of `input` are known
// (it was a cluster definition compiled here, not a REF or manifests).
// `option` names what asked for them ("--test: ", or "" for kix test);
// `hint` says what to give instead.
void require_checks_known(const ClusterInput& input, const std::string& option,
                          const std::string& hint);

// The kubectl a command runs (KIX_KUBECTL, else kubectl on PATH). A dry run
// only prints the commands it would run, so when none is found it names
// plain `kubectl` instead of failing. Throws kNotFound otherwise.
std::string kubectl_to_run(const Context& ctx, bool dry_run);

// Registers the positional DIR|FILE|REF that load_cluster_input resolves,
// with the same help text for diff, plan and deploy.
void add_cluster_input_option(CLI::App* cmd, std::string& input);

void add_diff_command(CLI::App& app, Context& ctx);
void add_plan_command(CLI::App& app, Context& ctx);
void add_deploy_command(CLI::App& app, Context& ctx);
void add_health_command(CLI::App& app, Context& ctx);
void add_preview_command(CLI::App& app, Context& ctx);
void add_canary_command(CLI::App& app, Context& ctx);
void add_test_command(CLI::App& app, Context& ctx);

// Runs `input.checks` after a deploy or for `kix test`, prints the results
// (text or json) and returns whether all passed. Throws kInvalidInput when
// the checks are not known (a REF or plain manifests).
bool run_post_deploy_checks(const ClusterInput& input, const DeployOptions& deploy,
                            const CheckRunOptions& options, const std::string& format, Context& ctx,
                            Json* results = nullptr);

}  // namespace kix::cli
