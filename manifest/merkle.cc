#include "manifest/merkle.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "manifest/references.h"
#include "manifest/secret_seal.h"
#include "util/error.h"

namespace kix {

namespace {

// How much canonical text root_hash() gathers before handing it to the
// digest: large enough that each update is cheap, small enough to be noise.
constexpr size_t kRootHashChunk = 16384;

void append_hash_list(std::string& out, std::vector<Hash>& hashes) {
  // Stored roots' lists are sorted already: sorting 10,000 sorted hashes
  // again was a fifth of a verify.
  if (!std::is_sorted(hashes.begin(), hashes.end())) std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  out += '[';
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    hashes[i].append_hex(out);
    out += '"';
  }
  out += ']';
}

}  // namespace

// The canonical form is written directly: keys "manifest" < "refs" < "v"
// already in RFC 8785 order, hex strings need no escaping.
Hash node_hash(const Hash& blob, std::vector<Hash> refs) {
  std::string s;
  s.reserve(96 + refs.size() * 67);
  s += "{\"manifest\":\"";
  blob.append_hex(s);
  s += "\",\"refs\":";
  append_hash_list(s, refs);
  s += ",\"v\":1}";
  return Hash::of(s);
}

// Streamed into the digest in pieces, in sorted order through an index of
// positions: at 50,000 resources the canonical text (3.4 MB) and a sorted
// copy of the hashes (1.6 MB) were a tenth of an add's peak memory.
Hash root_hash(const std::string& cluster, const std::vector<Hash>& nodes) {
  std::string s;
  s.reserve(kRootHashChunk + 67);
  s += "{\"cluster\":";
  append_canonical_string(s, cluster);
  s += ",\"resources\":[";
  Sha256 digest;
  bool any = false;
  const Hash* previous = nullptr;
  auto append = [&](const Hash& h) {
    if (previous != nullptr && *previous == h) return;  // listed once
    previous = &h;
    if (any) s += ',';
    any = true;
    s += '"';
    h.append_hex(s);
    s += '"';
    if (s.size() >= kRootHashChunk) {
      digest.update(s);
      s.clear();
    }
  };
  // Stored roots' lists are sorted already: sorting 10,000 sorted hashes
  // again was a fifth of a verify.
  if (std::is_sorted(nodes.begin(), nodes.end())) {
    for (const Hash& h : nodes) append(h);
  } else {
    if (nodes.size() > UINT32_MAX) throw Error(ErrorKind::kInternal, "too many nodes for a root");
    std::vector<uint32_t> order(nodes.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return nodes[a] < nodes[b]; });
    for (uint32_t i : order) append(nodes[i]);
  }
  s += "],\"v\":1}";
  digest.update(s);
  return digest.finish();
}

Graph build_graph(std::vector<Manifest> manifests, std::vector<std::vector<size_t>> refs,
                  std::vector<std::vector<std::string>> reasons) {
  const size_t n = manifests.size();
  if (n > UINT32_MAX) throw Error(ErrorKind::kInternal, "too many manifests for one graph");
  for (const Manifest& m : manifests) {
    // A Secret's hashes are computed over its hash form only: hashing its
    // plaintext would publish a hash anyone can test guesses against.
    if (m.needs_sealing) {
      throw Error(ErrorKind::kInternal,
                  m.id.display() + " was not sealed before hashing (manifest/secret_seal.h)");
    }
  }
  refs.resize(n);
  reasons.resize(n);
  for (size_t i = 0; i < n; ++i) {
    reasons[i].resize(refs[i].size());
    for (size_t r : refs[i]) {
      if (r >= n) throw Error(ErrorKind::kInternal, "reference index out of range");
    }
  }

  Graph g;
  // Tarjan-free cycle breaking: process in a deterministic order (by
  // identity key) with an iterative DFS; an edge to a node that is still
  // on the stack would close a cycle and is dropped.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Each manifest's rank in (identity key, blob) order, equal for equal
  // pairs: comparing ranks is comparing the pairs. The keys themselves
  // (about 80 bytes each) are held only while sorting.
  std::vector<uint32_t> rank(n);
  {
    std::vector<std::string> keys(n);
    for (size_t i = 0; i < n; ++i) keys[i] = manifests[i].id.key();
    auto less = [&](size_t a, size_t b) {
      return keys[a] != keys[b] ? keys[a] < keys[b] : manifests[a].blob < manifests[b].blob;
    };
    std::sort(order.begin(), order.end(), less);
    for (size_t k = 0; k < n; ++k) {
      const bool tied = k > 0 && !less(order[k - 1], order[k]);
      rank[order[k]] = tied ? rank[order[k - 1]] : static_cast<uint32_t>(k);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    // Visit targets in key order too, so which edge is dropped never
    // depends on input order.
    std::vector<size_t> idx(refs[i].size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(),
              [&](size_t a, size_t b) { return rank[refs[i][a]] < rank[refs[i][b]]; });
    std::vector<size_t> r2;
    std::vector<std::string> s2;
    for (size_t k : idx) {
      if (refs[i][k] == i) continue;  // self references carry no information
      if (std::find(r2.begin(), r2.end(), refs[i][k]) != r2.end()) continue;
      r2.push_back(refs[i][k]);
      s2.push_back(reasons[i][k]);
    }
    refs[i] = std::move(r2);
    reasons[i] = std::move(s2);
  }

  enum : uint8_t { kNew, kActive, kDone };
  std::vector<uint8_t> state(n, kNew);
  std::vector<Hash> nodes(n);
  struct Frame {
    size_t node;
    size_t next;
  };
  std::vector<Frame> stack;
  for (size_t start : order) {
    if (state[start] != kNew) continue;
    stack.push_back({start, 0});
    state[start] = kActive;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < refs[f.node].size()) {
        size_t k = f.next++;
        size_t t = refs[f.node][k];
        if (state[t] == kActive) {
          g.warnings.push_back("reference cycle: dropped the edge " +
                               manifests[f.node].id.display() + " -> " + manifests[t].id.display() +
                               " (" + reasons[f.node][k] + ")");
          refs[f.node].erase(refs[f.node].begin() + static_cast<ptrdiff_t>(k));
          reasons[f.node].erase(reasons[f.node].begin() + static_cast<ptrdiff_t>(k));
          --f.next;
        } else if (state[t] == kNew) {
          state[t] = kActive;
          stack.push_back({t, 0});
        }
        continue;
      }
      std::vector<Hash> child;
      child.reserve(refs[f.node].size());
      for (size_t t : refs[f.node]) child.push_back(nodes[t]);
      nodes[f.node] = node_hash(manifests[f.node].blob, std::move(child));
      state[f.node] = kDone;
      stack.pop_back();
    }
  }

  g.manifests = std::move(manifests);
  g.refs = std::move(refs);
  g.ref_reasons = std::move(reasons);
  g.nodes = std::move(nodes);
  return g;
}

Graph build_graph_inferred(std::vector<Manifest> manifests, SecretKeyring* keys) {
  seal_manifests(manifests, keys);
  auto inferred = infer_references(manifests);
  std::vector<std::vector<size_t>> refs(manifests.size());
  std::vector<std::vector<std::string>> reasons(manifests.size());
  for (size_t i = 0; i < inferred.size(); ++i) {
    for (auto& r : inferred[i]) {
      refs[i].push_back(r.to);
      reasons[i].push_back(std::move(r.reason));
    }
  }
  return build_graph(std::move(manifests), std::move(refs), std::move(reasons));
}

}  // namespace kix
