// What one manifest contributes to reference inference (manifest/references.h),
// extracted from its parsed value alone, so that references can be resolved
// across a whole input without holding every parsed document.
//
// Inference runs in two steps: extract_reference_facts() reads one
// manifest (any thread, any order), resolve_references() joins the facts of
// a whole input. infer_references() is exactly those two steps, and an
// incremental add (store/ingest.h) keeps the facts of unchanged files in its
// cache instead of parsing them again, so both must give the same edges:
// the facts keep the order in which the single-pass inference used to look
// at candidates, because the first reason for an edge wins.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifest/manifest.h"
#include "util/byte_codec.h"
#include "util/spill_heap.h"

namespace kix {

// A label map or selector: key and canonical JSON of the value, in key order.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct ReferenceFacts {
  // A reference by name, or to the workloads a selector picks.
  struct Candidate {
    bool selector = false;
    std::string kind;  // by name: the kind, namespace and name it names
    std::string ns;
    std::string name;
    LabelPairs labels;  // selector: what a workload's pod labels must hold
    std::string reason;

    bool operator==(const Candidate&) const = default;
  };

  // Names this manifest answers to besides its own kind, namespace and name
  // ("Secret" for a RequiredSecret, an ExternalSecret's target), as
  // {kind, namespace, name}.
  std::vector<std::vector<std::string>> aliases;
  std::string crd;                    // a CustomResourceDefinition's "group/Kind"
  bool workload = false;              // has a pod template
  LabelPairs pod_labels;              // a workload's pod labels
  std::vector<Candidate> candidates;  // in the order inference weighs them

  bool operator==(const ReferenceFacts&) const = default;
};

ReferenceFacts extract_reference_facts(const Manifest& m);

struct InferredRef;  // manifest/references.h

// The edges among `ids` given each one's facts (parallel vectors), as
// infer_references() documents them.
std::vector<std::vector<InferredRef>> resolve_references(
    const std::vector<const ResourceId*>& ids, const std::vector<const ReferenceFacts*>& facts);
// The same from facts in their encoded form (encode_reference_facts), which
// an ingest holds instead: one allocation per manifest instead of dozens.
// Throws kix::Error(kInternal) for bytes that do not decode.
std::vector<std::vector<InferredRef>> resolve_encoded_references(
    const std::vector<const ResourceId*>& ids, const std::vector<std::string_view>& encoded);
// The same with manifest i's encoded facts given by `encoded(i)`, which is
// called for i = 0, 1, ... in increasing order, in two passes; its view
// need be valid only until its next call. An ingest reads the facts it
// spooled to a file this way.
std::vector<std::vector<InferredRef>> resolve_encoded_references(
    const std::vector<const ResourceId*>& ids,
    const std::function<std::string_view(size_t)>& encoded);
// The same streamed, for `count` resources whose identities `id` gives:
// each edge is handed to `edge` once (the first reason wins), by `from` in
// increasing order, so that no list of edges per resource is held. The
// indexes (16 bytes a resource, and the pod labels of every workload) live
// in `memory` when given (util/spill_heap.h).
void resolve_encoded_references(
    size_t count, const std::function<ResourceIdView(size_t)>& id,
    const std::function<std::string_view(size_t)>& encoded,
    const std::function<void(size_t from, size_t to, const std::string& reason)>& edge,
    SpillHeap* memory = nullptr);

// A compact binary form for caches (util/byte_codec.h); decode returns
// false on malformed input.
void encode_reference_facts(const ReferenceFacts& facts, ByteWriter& out);
bool decode_reference_facts(ByteReader& in, ReferenceFacts& facts);

}  // namespace kix
