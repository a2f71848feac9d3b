// Canaries (docs/commands/canary.md): a changed Deployment runs next to the
// current one, under a hash-suffixed name, taking a chosen share of the
// traffic, while everything else stays as the base has it.
//
// make_canary compares the working tree's graph with the base root's. Each
// Deployment the base has and whose content changed gets a copy of its
// new version named `<name>-<h>`, h the first kCanaryHashLength hex digits
// of its new node hash, labelled and selected by `kix.dev/canary: <h>`:
//
//   replicas   the copy runs `replicas` pods with the base's selector
//              labels on them, so every Service selecting the base's pods
//              sends them their share (replicas / (replicas + base's));
//   weight     the copy's pods differ from the base's in one label of each
//              Service that selects them (app.kubernetes.io/component when
//              the selector has it: "<component>-canary"), a Service
//              `<service>-<h>` selects only them, and an HTTPRoute
//              `<service>-<h>` attached to the given Gateway sends `weight`
//              percent to it and the rest to the base's Service (Gateway
//              API backendRefs weights).
//
// The canary's graph is the base's plus these additions: unchanged
// resources are the base's own nodes, never copies. A copy references what
// the new version references (by identity, in the base).
//
// Content is compared by blob hash: an object whose only change is in what
// it references (a Service selecting the changed Deployment) is the
// base's own, unchanged.
//
// Errors (kInvalidInput, thrown): nothing to canary (no Deployment of the
// base changed); a changed Deployment that references a resource that is
// new or whose content changed too (the copy would run against the base's version of it:
// a ConfigMap change needs a deploy or a preview, not a canary); weight
// mode without a Gateway, or a changed Deployment no Service selects.
// Other changes (a ConfigMap, a new instance) are listed in
// Canary::left_out: the canary does not carry them.
//
// The canary's own resources carry `kix.dev/canary: <h>` (label) and
// `kix.dev/canary-of: <name>` (annotation), which is how promote and abort
// find them (canary_resources).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifest/merkle.h"

namespace kix::compiler {

inline constexpr size_t kCanaryHashLength = 10;
inline constexpr const char* kCanaryLabel = "kix.dev/canary";
inline constexpr const char* kCanaryOfAnnotation = "kix.dev/canary-of";

struct CanaryOptions {
  std::optional<int> replicas;         // exactly one of replicas and weight
  std::optional<int> weight;           // percent, 1..99
  std::string gateway;                 // weight: the Gateway's name
  std::string gateway_namespace;       // "" = the Service's namespace
  std::vector<std::string> hostnames;  // weight: the HTTPRoute's hostnames (optional)
};

struct CanaryWorkload {
  ResourceId base;   // the Deployment that keeps running
  ResourceId copy;   // the canary beside it
  std::string hash;  // h
  int base_replicas = 1;
  int replicas = 1;                  // the copy's
  std::vector<ResourceId> services;  // those selecting the base's pods
};

struct Canary {
  std::vector<CanaryWorkload> workloads;
  std::vector<std::string> left_out;  // "ConfigMap/x @ ns changed: not carried by the canary"
  Graph graph;      // the base's resources and the additions: what runs during the canary
  Graph additions;  // only the additions (edges among themselves)
};

// Throws kInvalidInput as described above.
Canary make_canary(const Graph& working, const Graph& base, const CanaryOptions& options);

// Indices of the resources of `graph` that a canary added (labelled kCanaryLabel).
std::vector<size_t> canary_resources(const Graph& graph);

// `graph` without the resources at `drop` (and the edges to them).
Graph without(const Graph& graph, const std::vector<size_t>& drop);

}  // namespace kix::compiler
