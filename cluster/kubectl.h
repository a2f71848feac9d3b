// kubectl as kix runs it: finding the program and reading live objects.
// Every run goes through a ProcessRunner (util/process.h), so tests use a
// scripted kubectl (there is no API server on the test machines; see
// docs/workflow.md).
//
// Thread-safety: the functions share no state.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/merkle.h"
#include "util/environment.h"
#include "util/process.h"

namespace kix {

// KIX_KUBECTL, else "kubectl" found on PATH. Throws kNotFound with a hint
// when there is none.
std::string find_kubectl(const Environment& env);

// Every live object of the kinds `desired` and `also` (the roots deployed
// before, whose leftovers are orphans) contain, in the namespaces they use
// (namespaced kinds), or by name (cluster-scoped ones): enough to find
// drift and cluster-only leftovers without listing the whole cluster. One
// `kubectl get ... -o json` per namespace and per cluster-scoped kind.
// Throws kIo naming the command that failed and what kubectl said.
std::vector<Manifest> fetch_live_objects(ProcessRunner& runner, const std::string& kubectl,
                                         const std::string& context, const Graph& desired,
                                         const std::vector<const Graph*>& also = {});

// Limits for reading kubectl's output: `kubectl get -A -o json` of a large
// cluster is one document of a few hundred megabytes, far above the limits
// for hand-written input.
ParseOptions live_parse_options();

}  // namespace kix
