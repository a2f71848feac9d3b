#include "manifest/merkle.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "manifest/references.h"
#include "manifest/secret_seal.h"
#include "util/byte_arena.h"
#include "util/error.h"
#include "util/external_sort.h"

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
std::vector<uint32_t> sorted_unique_positions(std::span<const Hash> nodes) {
  if (nodes.size() > UINT32_MAX) throw Error(ErrorKind::kInternal, "too many nodes for a root");
  std::vector<uint32_t> order(nodes.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return nodes[a] < nodes[b]; });
  order.erase(std::unique(order.begin(), order.end(),
                          [&](uint32_t a, uint32_t b) { return nodes[a] == nodes[b]; }),
              order.end());
  return order;
}

Hash root_hash(const std::string& cluster, std::span<const Hash> nodes, SpillHeap* memory) {
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
  constexpr size_t kHashesPerPage = 4096 / Hash::kSize;
  bool sorted = true;
  for (size_t i = 1; i < nodes.size() && sorted; ++i) {
    if (memory != nullptr && i % kHashesPerPage == 0) memory->touch();
    sorted = !(nodes[i] < nodes[i - 1]);
  }
  if (sorted) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (memory != nullptr && i % kHashesPerPage == 0) memory->touch();
      append(nodes[i]);
    }
  } else {
    for (uint32_t i : sorted_unique_positions(nodes)) append(nodes[i]);
  }
  s += "],\"v\":1}";
  digest.update(s);
  return digest.finish();
}

namespace {

std::pmr::memory_resource* resource_of(SpillHeap* memory) {
  return memory != nullptr ? memory : std::pmr::get_default_resource();
}

void touch(SpillHeap* memory, size_t pages = 1) {
  if (memory != nullptr) memory->touch(pages);
}

}  // namespace

std::pmr::vector<uint32_t> identity_ranks(size_t count,
                                          const std::function<std::string(size_t)>& key,
                                          const std::function<const Hash&(size_t)>& blob,
                                          SpillHeap* memory) {
  if (count > UINT32_MAX) throw Error(ErrorKind::kInternal, "too many manifests for one graph");
  std::pmr::memory_resource* resource = resource_of(memory);
  std::pmr::vector<uint32_t> rank(resource);
  resize_by_pages(rank, count, memory);
  if (memory != nullptr) {
    // Sorted in runs through a file, a quarter of the working memory at a
    // time: a sort of keys in memory that may be spilled would read them
    // at random, a page fault each once they are.
    ExternalSorter sorter(memory->budget() / 4, memory->directory());
    for (size_t i = 0; i < count; ++i) {
      memory->touch(2);
      sorter.add(key(i), static_cast<uint32_t>(i));
    }
    // Equal keys (a duplicate identity, which an add refuses) are ordered
    // by blob, and equal pairs share a rank, as below.
    std::string group_key;
    std::vector<uint32_t> group;
    size_t k = 0;
    auto rank_group = [&] {
      std::stable_sort(group.begin(), group.end(),
                       [&](uint32_t a, uint32_t b) { return blob(a) < blob(b); });
      for (size_t g = 0; g < group.size(); ++g, ++k) {
        memory->touch();
        const bool tied = g > 0 && !(blob(group[g - 1]) < blob(group[g]));
        rank[group[g]] = tied ? rank[group[g - 1]] : static_cast<uint32_t>(k);
      }
      group.clear();
    };
    sorter.finish([&](std::string_view key_bytes, uint32_t i) {
      if (!group.empty() && key_bytes != group_key) rank_group();
      if (group.empty()) group_key.assign(key_bytes);
      group.push_back(i);
    });
    if (!group.empty()) rank_group();
    return rank;
  }
  std::pmr::vector<uint32_t> order(count, resource);
  std::iota(order.begin(), order.end(), 0u);
  // The keys back to back in an arena: a string each took 32 bytes more
  // per resource, plus the allocator's header.
  ByteArena arena(resource);
  std::pmr::vector<std::string_view> keys(count, resource);
  for (size_t i = 0; i < count; ++i) keys[i] = arena.copy(key(i));
  auto less = [&](uint32_t a, uint32_t b) {
    touch(memory, 2);
    return keys[a] != keys[b] ? keys[a] < keys[b] : blob(a) < blob(b);
  };
  std::sort(order.begin(), order.end(), less);
  for (size_t k = 0; k < count; ++k) {
    const bool tied = k > 0 && !less(order[k - 1], order[k]);
    rank[order[k]] = tied ? rank[order[k - 1]] : static_cast<uint32_t>(k);
  }
  return rank;
}

namespace {

constexpr uint32_t kDropped = UINT32_MAX;

// Sorts each resource's edges by target rank (stable: ties keep input
// order) and keeps the first edge to each target other than itself,
// compacting the list in place.
void normalise_edges(std::span<const uint32_t> rank, EdgeList& edges, SpillHeap* memory) {
  const size_t n = edges.resources();
  std::vector<uint32_t> row;
  std::vector<uint32_t> to, reason;
  size_t write = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t first = edges.first(i), end = edges.end(i);
    row.resize(end - first);
    std::iota(row.begin(), row.end(), static_cast<uint32_t>(first));
    touch(memory);
    std::stable_sort(row.begin(), row.end(),
                     [&](uint32_t a, uint32_t b) { return rank[edges.to[a]] < rank[edges.to[b]]; });
    to.clear();
    reason.clear();
    for (uint32_t k : row) {
      const uint32_t t = edges.to[k];
      if (t == i) continue;  // self references carry no information
      if (std::find(to.begin(), to.end(), t) != to.end()) continue;
      to.push_back(t);
      reason.push_back(edges.reason[k]);
    }
    edges.begin[i] = static_cast<uint32_t>(write);
    std::copy(to.begin(), to.end(), edges.to.begin() + static_cast<ptrdiff_t>(write));
    std::copy(reason.begin(), reason.end(), edges.reason.begin() + static_cast<ptrdiff_t>(write));
    write += to.size();
  }
  edges.begin[n] = static_cast<uint32_t>(write);
  edges.to.resize(write);
  edges.reason.resize(write);
}

// Removes the edges marked kDropped.
void remove_dropped(EdgeList& edges) {
  size_t write = 0;
  for (size_t i = 0; i < edges.resources(); ++i) {
    const size_t first = edges.first(i), end = edges.end(i);
    edges.begin[i] = static_cast<uint32_t>(write);
    for (size_t k = first; k < end; ++k) {
      if (edges.to[k] == kDropped) continue;
      edges.to[write] = edges.to[k];
      edges.reason[write] = edges.reason[k];
      ++write;
    }
  }
  edges.begin.back() = static_cast<uint32_t>(write);
  edges.to.resize(write);
  edges.reason.resize(write);
}

}  // namespace

std::pmr::vector<Hash> merkle_nodes(
    std::span<const uint32_t> rank, const std::function<const Hash&(size_t)>& blob, EdgeList& edges,
    const std::function<void(size_t from, size_t to, uint32_t reason)>& dropped,
    SpillHeap* memory) {
  const size_t n = rank.size();
  if (edges.begin.empty() || edges.begin.front() != 0 || edges.resources() != n ||
      edges.to.size() != edges.reason.size() || edges.begin.back() != edges.to.size() ||
      !std::is_sorted(edges.begin.begin(), edges.begin.end())) {
    throw Error(ErrorKind::kInternal, "edge list does not match the resources");
  }
  if (edges.to.size() >= UINT32_MAX) throw Error(ErrorKind::kInternal, "too many edges");
  for (size_t k = 0; k < edges.to.size(); ++k) {
    if (k % 1024 == 0) touch(memory);
    if (edges.to[k] >= n) throw Error(ErrorKind::kInternal, "reference index out of range");
  }
  normalise_edges(rank, edges, memory);
  std::pmr::memory_resource* resource = resource_of(memory);

  // Tarjan-free cycle breaking: process in a deterministic order (by
  // identity key) with an iterative DFS; an edge to a node that is still
  // on the stack would close a cycle and is dropped.
  std::pmr::vector<uint32_t> order(resource);
  resize_by_pages(order, n, memory);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    touch(memory);
    return rank[a] != rank[b] ? rank[a] < rank[b] : a < b;
  });
  enum : uint8_t { kNew, kActive, kDone };
  std::pmr::vector<uint8_t> state(resource);
  static_assert(kNew == 0);
  resize_by_pages(state, n, memory);  // value-initialised: kNew
  std::pmr::vector<Hash> nodes(resource);
  resize_by_pages(nodes, n, memory);
  struct Frame {
    size_t node;
    size_t next;  // position in edges
  };
  std::vector<Frame> stack;
  std::vector<Hash> child;
  bool any_dropped = false;
  for (uint32_t start : order) {
    if (state[start] != kNew) continue;
    stack.push_back({start, edges.first(start)});
    state[start] = kActive;
    while (!stack.empty()) {
      touch(memory, 3);
      Frame& f = stack.back();
      if (f.next < edges.end(f.node)) {
        const size_t k = f.next++;
        const uint32_t t = edges.to[k];
        if (state[t] == kActive) {
          dropped(f.node, t, edges.reason[k]);
          edges.to[k] = kDropped;
          any_dropped = true;
        } else if (state[t] == kNew) {
          state[t] = kActive;
          stack.push_back({t, edges.first(t)});
        }
        continue;
      }
      child.clear();
      for (size_t k = edges.first(f.node); k < edges.end(f.node); ++k) {
        if (edges.to[k] != kDropped) child.push_back(nodes[edges.to[k]]);
      }
      nodes[f.node] = node_hash(blob(f.node), std::move(child));
      state[f.node] = kDone;
      stack.pop_back();
    }
  }
  std::pmr::vector<uint32_t>(resource).swap(order);
  std::pmr::vector<uint8_t>(resource).swap(state);
  if (any_dropped) remove_dropped(edges);
  return nodes;
}

std::string cycle_warning(const std::string& from, const std::string& to, std::string_view reason) {
  return "reference cycle: dropped the edge " + from + " -> " + to + " (" + std::string(reason) +
         ")";
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
  // Into one list, each edge's reason numbered by its position in `flat`.
  EdgeList edges;
  std::vector<std::string> flat;
  for (size_t i = 0; i < n; ++i) {
    edges.start_resource();
    reasons[i].resize(refs[i].size());
    for (size_t k = 0; k < refs[i].size(); ++k) {
      if (refs[i][k] >= n) throw Error(ErrorKind::kInternal, "reference index out of range");
      if (flat.size() >= UINT32_MAX) throw Error(ErrorKind::kInternal, "too many edges");
      edges.add(static_cast<uint32_t>(refs[i][k]), static_cast<uint32_t>(flat.size()));
      flat.push_back(std::move(reasons[i][k]));
    }
  }
  refs = {};
  reasons = {};
  auto blob = [&](size_t i) -> const Hash& { return manifests[i].blob; };
  const std::pmr::vector<uint32_t> rank = identity_ranks(
      n, [&](size_t i) { return manifests[i].id.key(); }, blob);
  Graph g;
  const std::pmr::vector<Hash> nodes =
      merkle_nodes(rank, blob, edges, [&](size_t from, size_t to, uint32_t reason) {
        g.warnings.push_back(
            cycle_warning(manifests[from].id.display(), manifests[to].id.display(), flat[reason]));
      });
  g.nodes.assign(nodes.begin(), nodes.end());
  g.refs.resize(n);
  g.ref_reasons.resize(n);
  for (size_t i = 0; i < n; ++i) {
    g.refs[i].reserve(edges.count(i));
    g.ref_reasons[i].reserve(edges.count(i));
    for (size_t k = edges.first(i); k < edges.end(i); ++k) {
      g.refs[i].push_back(edges.to[k]);
      g.ref_reasons[i].push_back(std::move(flat[edges.reason[k]]));
    }
  }
  g.manifests = std::move(manifests);
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
