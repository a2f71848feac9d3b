// Applying an instance's `patches:` (compiler/instance_patch.h) to the
// resources its package emits. A patch applies to a resource after the
// template rendered and kix decorated it (names, labels, selectors), and
// before schema validation and the Merkle graph, which see the patched
// resource like any other. Values in a patch are templates: `${...}` is
// evaluated in the instance's scope (self, config, needs, let bindings,
// resources emitted before), so a patched value carries the provenance of
// what it read.
#pragma once

#include <vector>

#include "compiler/cluster_definition.h"
#include "compiler/compilation.h"
#include "compiler/evaluator.h"
#include "compiler/package.h"

namespace kix::compiler {

// True when `patch` targets `r`: its template key (or, for `chart`, any
// resource the package's chart rendered), kind and metadata.name.
bool patch_targets(const InstancePatch& patch, const CompiledResource& r);

// True when JSON Pointer `pointer` is `ancestor` or lies below it.
bool pointer_within(const std::string& pointer, const std::string& ancestor);

// The value of `r` a patch wrote last at or above `pointer`, or nullptr:
// where a schema violation there was written.
const PatchedValue* patched_value_at(const CompiledResource& r, const std::string& pointer);

// Applies every patch of `decl` that targets `r` (a decorated resource of
// that instance), in order, recording each written value in r.patched and
// counting the patch in hits[k] (hits has one entry per patch). Throws
// kix::Error at the patch in the definition when an operation fails (the
// operation's index, op and path named), when an expression fails, and
// when a patch changes the resource's apiVersion, kind, metadata.name or
// metadata.namespace (other resources refer to it by them).
void apply_patches(CompiledResource& r, const InstanceDecl& decl, const ClusterDefinition& def,
                   const Scope& scope, std::vector<size_t>& hits);

// After every resource of the instance was emitted: an error for the first
// patch that targeted nothing, with "did you mean" over the package's
// resource keys, or naming what the key emitted when kind or name did not
// match (or that its `when` was false).
void check_patch_targets(const InstanceDecl& decl, const Package& pkg,
                         const std::vector<CompiledResource>& resources,
                         const std::vector<size_t>& emitted, const std::vector<size_t>& hits);

}  // namespace kix::compiler
