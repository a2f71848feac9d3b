// Shared pieces of `kix build`, `kix graph` and `kix explain`.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "compiler/compilation.h"

namespace kix::cli {

// Compiles the definition at `path` (a file, or a directory with
// cluster.yaml, .yml or .json) with the package search path of docs/packages.md and the
// built-in schemas. Prints warnings to stderr and stores their number in
// `warnings`. When the definition has errors, prints them, sets
// ctx.exit_code to 1 and returns false.
struct CompileFlags {
  bool locking = false;       // kix lock
  bool locked = false;        // --locked
  bool insecure = false;      // --insecure: plain HTTP to chart repositories
  bool refetch = false;       // kix lock --check
  bool lock_images = false;   // kix lock --images
  bool quiet = false;         // do not print warnings (a second compilation of one definition)
  bool quiet_errors = false;  // do not print errors either (they are expected)
  // Seals Secrets instead of the user's key (kix package test: a fixed key,
  // so that a Secret's hashes are the same on every machine).
  SecretKeyring* keys = nullptr;
  // CompileOptions::first_paths (kix package test).
  std::vector<std::filesystem::path> first_paths;
  // When set, receive every warning (as printed) and every error of the
  // compilation (kix package test reports them per case).
  std::vector<std::string>* warning_texts = nullptr;
  std::vector<Error>* errors = nullptr;
  // CompileOptions::rewrite_resolution (kix preview).
  std::function<void(compiler::Resolution&)> rewrite;
};
bool compile_definition(const std::string& path, Context& ctx, compiler::Compilation& out,
                        size_t* warnings = nullptr, const CompileFlags& flags = {});

// $KIX_SCHEMA_DIR, else the schema/ directory next to the built-in library.
std::filesystem::path schema_dir(const Context& ctx);

// "Kind/name @ namespace" for a compiled resource.
std::string describe(const compiler::CompiledResource& r);

// How a need of `inst` was bound, for people: "postgres → immich-db (alias
// "postgres" in namespace immich)"; the target is named with its namespace
// when that is another one. `b.target` must be set.
std::string binding_text(const compiler::Compilation& c, const compiler::CompiledInstance& inst,
                         const compiler::Binding& b);

// The JSON outputs' shapes (docs/json-output.md): a compiled resource
// {node, apiVersion, kind, namespace, name}; a need's binding {need,
// optional, target (the instance "ns/name", or null), how}; an instance
// {instance, package, autoInstantiated, autoReason, declaredAt, needs}.
Json resource_json(const compiler::Compilation& c, size_t index);
Json binding_json(const compiler::Compilation& c, const compiler::Binding& b);
Json instance_json(const compiler::Compilation& c, const compiler::CompiledInstance& inst);

void add_build_command(CLI::App& app, Context& ctx);
void add_lock_command(CLI::App& app, Context& ctx);
void add_graph_command(CLI::App& app, Context& ctx);
void add_explain_command(CLI::App& app, Context& ctx);

}  // namespace kix::cli
