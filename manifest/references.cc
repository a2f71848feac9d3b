#include "manifest/references.h"

#include "manifest/reference_facts.h"

namespace kix {

std::vector<std::vector<InferredRef>> infer_references(const std::vector<Manifest>& manifests) {
  std::vector<ReferenceFacts> facts;
  facts.reserve(manifests.size());
  std::vector<const ResourceId*> ids;
  std::vector<const ReferenceFacts*> fact_ptrs;
  for (const Manifest& m : manifests) facts.push_back(extract_reference_facts(m));
  for (size_t i = 0; i < manifests.size(); ++i) {
    ids.push_back(&manifests[i].id);
    fact_ptrs.push_back(&facts[i]);
  }
  return resolve_references(ids, fact_ptrs);
}

}  // namespace kix
