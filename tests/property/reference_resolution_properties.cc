// resolve_references (manifest/reference_facts.h) finds a reference by kind,
// namespace and name through a sorted array of key hashes plus a map of
// aliases. It must give exactly the edges of the plain model it replaced:
// one map from the joined key to the resource with the smallest identity
// key among those named so (by their identity or an alias), ties to the
// first in input order. Identities and aliases are drawn from small sets so
// that names collide across API groups, aliases and resources.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "manifest/reference_facts.h"
#include "manifest/references.h"

namespace kix {
namespace {

rc::Gen<std::string> one_of(std::vector<std::string> values) {
  return rc::gen::elementOf(std::move(values));
}

rc::Gen<ResourceId> gen_id() {
  return rc::gen::build<ResourceId>(
      rc::gen::set(&ResourceId::api_version, one_of({"v1", "apps/v1", "x.io/v1", "x.io/v2"})),
      rc::gen::set(&ResourceId::kind, one_of({"ConfigMap", "Secret", "Thing"})),
      rc::gen::set(&ResourceId::ns, one_of({"", "a", "b"})),
      rc::gen::set(&ResourceId::name, one_of({"n", "m", "o"})));
}

struct Input {
  std::vector<ResourceId> ids;
  std::vector<ReferenceFacts> facts;
};

Input gen_input() {
  Input in;
  in.ids = *rc::gen::container<std::vector<ResourceId>>(gen_id());
  for (size_t i = 0; i < in.ids.size(); ++i) {
    ReferenceFacts f;
    for (int k = *rc::gen::inRange(0, 2); k > 0; --k) {
      ResourceId alias = *gen_id();
      f.aliases.push_back({alias.kind, alias.ns, alias.name});
    }
    for (int k = *rc::gen::inRange(0, 4); k > 0; --k) {
      ResourceId target = *gen_id();
      ReferenceFacts::Candidate c;
      c.kind = target.kind;
      c.ns = target.ns;
      c.name = target.name;
      c.reason = "field" + std::to_string(k);
      f.candidates.push_back(std::move(c));
    }
    in.facts.push_back(std::move(f));
  }
  return in;
}

// The model: the single map of joined keys the resolution used to keep.
std::vector<std::vector<std::pair<size_t, std::string>>> model(const Input& in) {
  std::unordered_map<std::string, size_t> by_name;
  auto key = [](const std::string& kind, const std::string& ns, const std::string& name) {
    return kind + '\0' + ns + '\0' + name;
  };
  auto keep = [&](const std::string& k, size_t i) {
    auto [it, inserted] = by_name.emplace(k, i);
    if (!inserted && in.ids[i].key() < in.ids[it->second].key()) it->second = i;
  };
  for (size_t i = 0; i < in.ids.size(); ++i) {
    keep(key(in.ids[i].kind, in.ids[i].ns, in.ids[i].name), i);
    for (const auto& a : in.facts[i].aliases) keep(key(a[0], a[1], a[2]), i);
  }
  std::vector<std::vector<std::pair<size_t, std::string>>> out(in.ids.size());
  for (size_t i = 0; i < in.ids.size(); ++i) {
    for (const auto& c : in.facts[i].candidates) {
      auto it = by_name.find(key(c.kind, c.ns, c.name));
      if (it == by_name.end() || it->second == i) continue;
      bool seen = false;
      for (const auto& [to, why] : out[i]) seen = seen || to == it->second;
      if (!seen) out[i].emplace_back(it->second, c.reason);
    }
  }
  return out;
}

RC_GTEST_PROP(ReferenceResolution, ByNameMatchesTheMapOfJoinedKeys, ()) {
  Input in = gen_input();
  std::vector<const ResourceId*> ids;
  std::vector<const ReferenceFacts*> facts;
  for (size_t i = 0; i < in.ids.size(); ++i) {
    ids.push_back(&in.ids[i]);
    facts.push_back(&in.facts[i]);
  }
  std::vector<std::vector<InferredRef>> got = resolve_references(ids, facts);
  auto want = model(in);
  RC_ASSERT(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    RC_ASSERT(got[i].size() == want[i].size());
    for (size_t k = 0; k < got[i].size(); ++k) {
      RC_ASSERT(got[i][k].to == want[i][k].first);
      RC_ASSERT(got[i][k].reason == want[i][k].second);
    }
  }
}

// The streamed form an ingest uses (identities by view, facts encoded,
// edges handed over one by one) gives the same edges in the same order.
RC_GTEST_PROP(ReferenceResolution, StreamedEdgesAreTheListedOnes, ()) {
  Input in = gen_input();
  std::vector<const ResourceId*> ids;
  std::vector<const ReferenceFacts*> facts;
  std::vector<std::string> encoded(in.ids.size());
  for (size_t i = 0; i < in.ids.size(); ++i) {
    ids.push_back(&in.ids[i]);
    facts.push_back(&in.facts[i]);
    ByteWriter w(encoded[i]);
    encode_reference_facts(in.facts[i], w);
  }
  std::vector<std::vector<InferredRef>> want = resolve_references(ids, facts);
  std::vector<std::vector<InferredRef>> got(in.ids.size());
  size_t last_from = 0;
  resolve_encoded_references(
      in.ids.size(), [&](size_t i) { return in.ids[i].view(); },
      [&](size_t i) { return std::string_view(encoded[i]); },
      [&](size_t from, size_t to, const std::string& reason) {
        RC_ASSERT(from >= last_from);
        last_from = from;
        got[from].push_back({to, reason});
      });
  for (size_t i = 0; i < want.size(); ++i) {
    RC_ASSERT(got[i].size() == want[i].size());
    for (size_t k = 0; k < got[i].size(); ++k) {
      RC_ASSERT(got[i][k].to == want[i][k].to);
      RC_ASSERT(got[i][k].reason == want[i][k].reason);
    }
  }
}

}  // namespace
}  // namespace kix
