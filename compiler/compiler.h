// The compiler pipeline: load -> resolve -> check and emit -> validate ->
// graph. Each pass is its own unit (cluster_definition, resolver, emitter,
// validation); this file runs them in order.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "compiler/chart_source.h"
#include "compiler/compilation.h"
#include "compiler/helm_renderer.h"
#include "compiler/image_pins.h"
#include "compiler/lockfile.h"
#include "util/diagnostics.h"

namespace kix {
class SchemaValidator;
class SecretKeyring;
}  // namespace kix

namespace kix::compiler {

struct CompileOptions {
  std::filesystem::path definition;  // a cluster.yaml, or a directory holding one
  // Searched after the definition's packagePaths, in order (KIX_PACKAGES_PATH
  // entries, then the built-in library).
  std::vector<std::filesystem::path> library_paths;
  // Searched before everything else, the definition's packagePaths
  // included (kix package test: the directory of the package under test).
  std::vector<std::filesystem::path> first_paths;
  // Validates every emitted resource when set.
  const SchemaValidator* validator = nullptr;
  // Seals the Secrets with values that templates emit (docs/secrets.md);
  // without it such a Secret is an error.
  SecretKeyring* keys = nullptr;
  // Charts (docs/packages.md, "Charts"): where archives come from and how
  // they are rendered. Without them a package with a chart is an error.
  ChartSource* charts = nullptr;
  ChartRenderer* renderer = nullptr;
  // kix lock: fetch every chart afresh and compute every package hash,
  // without checking kix.lock (Compilation::lock is what it found, if any).
  bool locking = false;
  // --locked: a kix.lock is required, and images must be in it.
  bool locked = false;
  // kix lock --check: fetch charts even when cached (ChartContext::refetch),
  // re-resolve pinned images, and require kix.lock (unpinned images are
  // only warnings, as in a build without --locked).
  bool refetch = false;
  // Images (compiler/image_pins.h): with `locking` and `lock_images`, every
  // image tag is resolved and recorded (kix lock --images); with `locked`
  // or `refetch`, every pinned tag must still resolve to its locked digest.
  ImageResolver* images = nullptr;
  bool lock_images = false;
  // The built-in package library: its packages are locked as "builtin".
  std::filesystem::path builtin_library;
  // Runs between resolution and emission, on a resolution without errors:
  // a preview (compiler/preview.h) keeps, moves and rebinds instances here.
  // It may drop instances and rewrite bindings; it must keep `order`
  // dependencies-first and every binding target in range.
  std::function<void(Resolution&)> rewrite_resolution;
};

// Compiles a cluster definition. Problems in the definition or its
// packages (unresolved needs, failed checks, type errors, schema
// violations) are collected in Compilation::errors; the graph is built only
// when there are none. Throws kix::Error for unreadable or unparsable
// input and malformed packages.
Compilation compile(const CompileOptions& options, Diagnostics& diags);

// Schema validation of the emitted resources: a violation becomes an error
// at the template's file and line; a kind without a known schema is one
// warning per kind.
void validate_resources(Compilation& c, const SchemaValidator& validator, Diagnostics& diags);

// Builds c.graph from c.resources and their provenance edges, sealing
// Secrets with `keys`. Two resources with one identity are an error.
void build_compiled_graph(Compilation& c, SecretKeyring* keys = nullptr);

}  // namespace kix::compiler
